import { isCameraId } from '../camera-id.ts';
import { PlatestreamError } from '../errors.ts';

export const IMAGE_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageMime = (typeof IMAGE_MIME_TYPES)[number];

/** A camera frame as it travels through `lpr:frames`. */
export interface Frame {
  camera: string;
  /** Capture time, ms since the epoch. */
  ts: number;
  mime: ImageMime;
  /** Raw image bytes (never base64). */
  img: Buffer;
  seq?: number;
  meta?: Record<string, unknown>;
}

/** A frame read back from the stream, with its entry id. */
export interface FrameEntry extends Frame {
  id: string;
}

/** Flat field/value list for XADD. The image stays a Buffer so ioredis sends it as raw bytes. */
export function encodeFrame(frame: Frame): (string | Buffer)[] {
  const out: (string | Buffer)[] = [
    'camera',
    frame.camera,
    'ts',
    String(Math.trunc(frame.ts)),
    'mime',
    frame.mime,
    'img',
    frame.img,
  ];
  if (frame.seq !== undefined) out.push('seq', String(frame.seq));
  if (frame.meta !== undefined) out.push('meta', JSON.stringify(frame.meta));
  return out;
}

/** Turns a flat [field, value, ...] reply into a map; later duplicates win. */
export function fieldMap(fields: readonly (Buffer | string)[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const k = fields[i]!;
    const v = fields[i + 1]!;
    m.set(Buffer.isBuffer(k) ? k.toString('utf8') : k, Buffer.isBuffer(v) ? v : Buffer.from(v));
  }
  return m;
}

/**
 * Decodes and validates one frames-stream entry. Throws FRAME_DECODE naming the entry and the field when
 * something is missing or malformed, so the worker can dead-letter it with that reason.
 */
export function decodeFrame(id: string, fields: readonly (Buffer | string)[]): FrameEntry {
  const m = fieldMap(fields);
  const bad = (field: string, what: string) =>
    new PlatestreamError('FRAME_DECODE', `frame ${id}: field "${field}" ${what}`, {
      details: { frame: id, field },
    });
  const str = (f: string) => m.get(f)?.toString('utf8');

  const camera = str('camera');
  if (camera === undefined) throw bad('camera', 'is missing');
  if (!isCameraId(camera)) throw bad('camera', `"${camera.slice(0, 80)}" is not a valid camera id`);

  const tsRaw = str('ts');
  if (tsRaw === undefined) throw bad('ts', 'is missing');
  if (!/^\d{1,16}$/.test(tsRaw)) throw bad('ts', `"${tsRaw.slice(0, 40)}" is not a ms epoch integer`);
  const ts = Number(tsRaw);

  const mime = str('mime');
  if (mime === undefined) throw bad('mime', 'is missing');
  if (!(IMAGE_MIME_TYPES as readonly string[]).includes(mime)) {
    throw bad('mime', `"${mime.slice(0, 40)}" is not one of ${IMAGE_MIME_TYPES.join(', ')}`);
  }

  const img = m.get('img');
  if (img === undefined) throw bad('img', 'is missing');
  if (img.length === 0) throw bad('img', 'is empty');

  const entry: FrameEntry = { id, camera, ts, mime: mime as ImageMime, img };

  const seqRaw = str('seq');
  if (seqRaw !== undefined) {
    if (!/^\d{1,16}$/.test(seqRaw))
      throw bad('seq', `"${seqRaw.slice(0, 40)}" is not a non-negative integer`);
    entry.seq = Number(seqRaw);
  }
  const metaRaw = str('meta');
  if (metaRaw !== undefined) {
    let meta: unknown;
    try {
      meta = JSON.parse(metaRaw);
    } catch {
      throw bad('meta', 'is not valid JSON');
    }
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
      throw bad('meta', 'is not a JSON object');
    entry.meta = meta as Record<string, unknown>;
  }
  return entry;
}
