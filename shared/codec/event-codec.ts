import type { PlateBox } from '../recognizer.ts';

/**
 * One vehicle event as it is stored in `lpr:events` (one entry per vehicle pass, written by the events
 * stage). Every field is a string in Redis:
 * - `event`: the pass id (`<camera>:<first capture ms>:<n>`), stable across restarts of the stage
 * - `camera`, `plate` (voted, normalised A-Z0-9), `confidence` (0..1, 4 decimals)
 * - `frames`: number of frames whose reads made up the pass
 * - `first_ts`, `last_ts`: capture ms epoch of the first and last read
 * - `best_frame`: frames-stream id of the best read of the voted plate; `best_box`: its box (JSON, or "")
 * - `alternatives`: JSON `[{ "plate", "votes" }]`, the other readings with their summed confidence, best first
 * - `direction`: `approaching` | `leaving` | "" (unknown: boxes did not change size enough)
 * - `watchlist`: `hit` | `hit-fuzzy` | `miss` | `unknown` | "" (no watchlist configured)
 * - `results`: JSON `[{ "id", "frame", "ts", "plate", "confidence" }]`, the reads of the pass (result ids)
 */
export interface EventRecord {
  /** Events stream entry id (set when read back). */
  id?: string;
  event: string;
  camera: string;
  plate: string;
  confidence: number;
  frames: number;
  firstTs: number;
  lastTs: number;
  bestFrame: string;
  bestBox?: PlateBox;
  alternatives: EventAlternative[];
  direction: Direction;
  watchlist: string;
  results: EventRead[];
}

export type Direction = 'approaching' | 'leaving' | '';

export interface EventAlternative {
  plate: string;
  /** Summed confidence of the reads that gave this text. */
  votes: number;
}

/** One read that went into an event. */
export interface EventRead {
  /** Results stream entry id. */
  id: string;
  /** Frames stream entry id. */
  frame: string;
  ts: number;
  plate: string;
  confidence: number;
}

/** Flat field/value list for XADD of an event. */
export function encodeEvent(e: EventRecord): string[] {
  return [
    'event',
    e.event,
    'camera',
    e.camera,
    'plate',
    e.plate,
    'confidence',
    e.confidence.toFixed(4),
    'frames',
    String(e.frames),
    'first_ts',
    String(Math.trunc(e.firstTs)),
    'last_ts',
    String(Math.trunc(e.lastTs)),
    'best_frame',
    e.bestFrame,
    'best_box',
    e.bestBox ? JSON.stringify(e.bestBox) : '',
    'alternatives',
    JSON.stringify(e.alternatives),
    'direction',
    e.direction,
    'watchlist',
    e.watchlist,
    'results',
    JSON.stringify(e.results),
  ];
}

/** Decodes an event entry leniently (analysts' tools must not crash on an odd entry). */
export function decodeEvent(id: string, fields: readonly string[]): EventRecord {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  const direction = m.get('direction');
  return {
    id,
    event: m.get('event') ?? '',
    camera: m.get('camera') ?? '',
    plate: m.get('plate') ?? '',
    confidence: Number(m.get('confidence') ?? 0) || 0,
    frames: Number(m.get('frames') ?? 0) || 0,
    firstTs: Number(m.get('first_ts') ?? 0) || 0,
    lastTs: Number(m.get('last_ts') ?? 0) || 0,
    bestFrame: m.get('best_frame') ?? '',
    bestBox: parseJson<PlateBox>(m.get('best_box')),
    alternatives: parseJson<EventAlternative[]>(m.get('alternatives')) ?? [],
    direction: direction === 'approaching' || direction === 'leaving' ? direction : '',
    watchlist: m.get('watchlist') ?? '',
    results: parseJson<EventRead[]>(m.get('results')) ?? [],
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
