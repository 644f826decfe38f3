/**
 * The alerts stream entry: its fields, how a watchlist hit becomes one (`alertPayload`), and how it is
 * read back (`decodeAlert`, the notifier's side). Writing goes through alert-write.ts.
 */
import { PlatestreamError } from '../shared/errors.ts';

/** The watchlist match an alert reports (a watchlist LookupHit satisfies it). */
export interface AlertMatch {
  /** The plate as read (normalised). */
  plate: string;
  fuzzy: boolean;
  /** Edit distance between the read and the watched plate (0 when exact). */
  distance: number;
  entry: { id: string; plate: string; label: string; webhook: string | null };
}

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
export function alertPayload(match: AlertMatch, frame: AlertFrame, result: AlertResult): AlertFields {
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
