import { CAMERA_ID_HINT, isCameraId } from '../shared/camera-id.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { badField } from './http-errors.ts';

/** Largest accepted `meta` JSON text. */
export const MAX_META_CHARS = 4096;

/** Optional per-frame values a camera may send (query parameters or multipart fields). */
export interface FrameFields {
  ts?: string;
  seq?: string;
  meta?: string;
}

export interface ParsedFields {
  ts: number;
  seq?: number;
  meta?: Record<string, unknown>;
}

export function checkCameraId(camera: string): void {
  if (!isCameraId(camera)) {
    throw new PlatestreamError(
      'BAD_CAMERA_ID',
      `camera id "${camera.slice(0, 80)}" is invalid; use ${CAMERA_ID_HINT}`,
    );
  }
}

/**
 * Validates ts/seq/meta; `now` is used when no capture time is given. Throws BAD_REQUEST naming the field,
 * or TS_OUT_OF_RANGE when `ts` lies more than `maxSkewMs` from `now` (a clock that is off, or ms vs s).
 */
export function parseFrameFields(
  f: FrameFields,
  now: number,
  maxSkewMs = Number.POSITIVE_INFINITY,
): ParsedFields {
  const out: ParsedFields = { ts: now };
  if (f.ts !== undefined) {
    if (!/^\d{1,16}$/.test(f.ts)) throw badField('ts', f.ts, 'is not a non-negative integer');
    const ts = Number(f.ts);
    if (!Number.isSafeInteger(ts)) throw badField('ts', f.ts, 'is too large');
    if (Math.abs(ts - now) > maxSkewMs) {
      throw new PlatestreamError(
        'TS_OUT_OF_RANGE',
        `"ts" ${ts} is ${Math.round((ts - now) / 1000)} s from this server's clock (${now}); capture times must lie within ${maxSkewMs} ms of it (LPR_TS_MAX_SKEW_MS): send milliseconds since the epoch from a synchronised clock (NTP), or leave ts out to use the arrival time`,
      );
    }
    out.ts = ts;
  }
  if (f.seq !== undefined) {
    if (!/^\d{1,16}$/.test(f.seq)) throw badField('seq', f.seq, 'is not a non-negative integer');
    const seq = Number(f.seq);
    if (!Number.isSafeInteger(seq)) throw badField('seq', f.seq, 'is too large');
    out.seq = seq;
  }
  if (f.meta !== undefined) {
    if (f.meta.length > MAX_META_CHARS)
      throw badField('meta', f.meta, `is longer than ${MAX_META_CHARS} characters`);
    let meta: unknown;
    try {
      meta = JSON.parse(f.meta);
    } catch {
      throw badField('meta', f.meta, 'is not valid JSON');
    }
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
      throw badField('meta', f.meta, 'is not a JSON object');
    }
    out.meta = meta as Record<string, unknown>;
  }
  return out;
}
