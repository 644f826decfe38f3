import type { PlateBox, PlateCandidate } from '../recognizer.ts';

/** One recognition result as it is stored in `lpr:results` (see DESIGN.md's Redis contract). */
export interface ResultRecord {
  /** Result stream entry id (set when read back). */
  id?: string;
  /** Source frame entry id in the frames stream. */
  frame: string;
  camera: string;
  /** Capture time of the frame, ms epoch. */
  ts: number;
  /** Best plate, '' when none was found. */
  plate: string;
  confidence: number;
  box?: PlateBox;
  /** Top candidates, best first. */
  plates: PlateCandidate[];
  model: string;
  /** Consumer name of the worker that produced it. */
  worker: string;
  /** Milliseconds per stage (queueMs, decodeMs, inferMs, totalMs, ...). */
  timings: Record<string, number>;
  /** The frame's sequence number, when the camera sent one (written by the worker beside these fields). */
  seq?: number;
  /** Watchlist outcome, when enrichment is on: hit, hit-fuzzy, miss or unknown. */
  watchlist?: string;
  /** Why the frame was not read, when it was not: 'static' (same scene as the camera's last full read). */
  skipped?: string;
}

/** Flat field/value list for XADD of a result. */
export function encodeResult(r: ResultRecord): string[] {
  const out = [
    'frame',
    r.frame,
    'camera',
    r.camera,
    'ts',
    String(Math.trunc(r.ts)),
    'plate',
    r.plate,
    'confidence',
    r.confidence.toFixed(4),
    'plates',
    JSON.stringify(r.plates),
    'model',
    r.model,
    'worker',
    r.worker,
    'timings',
    JSON.stringify(r.timings),
  ];
  if (r.box) out.push('box', JSON.stringify(r.box));
  if (r.skipped) out.push('skipped', r.skipped);
  return out;
}

/** Decodes a result entry leniently: analysts' tools must not crash on an odd entry. */
export function decodeResult(id: string, fields: readonly string[]): ResultRecord {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  return {
    id,
    frame: m.get('frame') ?? '',
    camera: m.get('camera') ?? '',
    ts: Number(m.get('ts') ?? 0) || 0,
    plate: m.get('plate') ?? '',
    confidence: Number(m.get('confidence') ?? 0) || 0,
    box: parseJson<PlateBox>(m.get('box')),
    plates: parseJson<PlateCandidate[]>(m.get('plates')) ?? [],
    model: m.get('model') ?? '',
    worker: m.get('worker') ?? '',
    timings: parseJson<Record<string, number>>(m.get('timings')) ?? {},
    ...(m.has('seq') && Number.isFinite(Number(m.get('seq'))) ? { seq: Number(m.get('seq')) } : {}),
    ...(m.has('watchlist') ? { watchlist: m.get('watchlist') } : {}),
    ...(m.get('skipped') ? { skipped: m.get('skipped') } : {}),
  };
}

function parseJson<T>(s: string | undefined): T | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}
