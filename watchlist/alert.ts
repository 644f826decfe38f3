import { PlatestreamError } from '../shared/errors.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import type { LookupHit } from './lookup.ts';

/** The frame an alert is about (the worker's view of the frames stream entry). */
export interface AlertFrame {
  /** Stream entry id of the frame in the frames stream. */
  id: string;
  camera: string;
  /** Capture time, ms since the epoch. */
  ts: number;
}

/** The part of the recognition result an alert repeats. */
export interface AlertResult {
  plate: string;
  confidence?: number;
}

/**
 * Fields of one entry of the alerts stream (all strings, as stored in Redis):
 * - `plate`: the plate as read (normalised); `watchPlate`: the watchlist entry's plate (differs when fuzzy)
 * - `camera`, `ts` (capture ms epoch), `frame` (frames stream entry id)
 * - `entry` (watchlist entry id), `label`, `fuzzy` ("1"/"0"), `distance` (edit distance, "0" when exact)
 * - `confidence` (recogniser confidence of the plate, "" when unknown)
 * - `webhook` (the entry's receiver; "" → the notifier's LPR_WEBHOOK_URL)
 */
export interface AlertFields {
  plate: string;
  watchPlate: string;
  camera: string;
  ts: string;
  frame: string;
  entry: string;
  label: string;
  fuzzy: '0' | '1';
  distance: string;
  confidence: string;
  webhook: string;
}

const FIELD_NAMES: ReadonlyArray<keyof AlertFields> = [
  'plate',
  'watchPlate',
  'camera',
  'ts',
  'frame',
  'entry',
  'label',
  'fuzzy',
  'distance',
  'confidence',
  'webhook',
];

/** Builds the alert for a watchlist hit. */
export function alertPayload(match: LookupHit, frame: AlertFrame, result: AlertResult): AlertFields {
  return {
    plate: match.plate,
    watchPlate: match.entry.plate,
    camera: frame.camera,
    ts: String(frame.ts),
    frame: frame.id,
    entry: match.entry.id,
    label: match.entry.label,
    fuzzy: match.fuzzy ? '1' : '0',
    distance: String(match.distance),
    confidence: result.confidence === undefined ? '' : String(result.confidence),
    webhook: match.entry.webhook ?? '',
  };
}

/** Flat [field, value, field, value, ...] list, ready for XADD or a Lua script's ARGV. */
export function alertFieldList(a: AlertFields): string[] {
  return FIELD_NAMES.flatMap((name) => [name, a[name]]);
}

/**
 * The de-duplication key for an alert: per camera and watchlist plate (so fuzzy variants of one vehicle
 * share the window). The worker's complete script does `SET key frameId NX PX ALERT_WINDOW_MS` and writes
 * the alert only when that SET succeeded.
 */
export function alertWindowKey(keys: StreamKeys, a: Pick<AlertFields, 'camera' | 'watchPlate'>): string {
  return keys.alertWindow(a.camera, a.watchPlate);
}

/** Everything the worker's atomic complete script needs to write one alert (see docs/watchlist.md). */
export interface AlertWrite {
  /** KEYS: the de-duplication marker, set with `SET key frameId NX PX windowMs`. */
  windowKey: string;
  /** KEYS: the alerts stream (same hash slot as the frames stream of the partition). */
  streamKey: string;
  /** ARGV: length of the per camera + plate window (ms). */
  windowMs: number;
  /** ARGV: approximate MAXLEN for the XADD. */
  maxLen: number;
  /** ARGV: the alert as field, value, field, value, ... */
  fields: string[];
}

export function alertWrite(
  keys: StreamKeys,
  alert: AlertFields,
  config: { alertWindowMs: number; alertsMaxLen: number },
): AlertWrite {
  return {
    windowKey: alertWindowKey(keys, alert),
    streamKey: keys.alerts,
    windowMs: config.alertWindowMs,
    maxLen: config.alertsMaxLen,
    fields: alertFieldList(alert),
  };
}

/** Reads an alerts stream entry back (the notifier's side); throws WATCHLIST_INVALID naming what is missing. */
export function decodeAlert(id: string, fields: string[]): AlertFields {
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]!] = fields[i + 1]!;
  const missing = ['plate', 'camera', 'ts', 'frame', 'entry'].filter((f) => !m[f]);
  if (missing.length) {
    throw new PlatestreamError('WATCHLIST_INVALID', `alert ${id} lacks field(s) ${missing.join(', ')}`, {
      details: { id, missing },
    });
  }
  const out = {} as AlertFields;
  for (const name of FIELD_NAMES) (out as unknown as Record<string, string>)[name] = m[name] ?? '';
  out.watchPlate ||= out.plate;
  out.fuzzy = out.fuzzy === '1' ? '1' : '0';
  return out;
}
