import { decodeAlert } from '../alerts/index.ts';
import { decodeEvent, type EventRecord } from '../shared/codec/event-codec.ts';
import { decodeResult, type ResultRecord } from '../shared/codec/result-codec.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';

/** The streams the API and the live feed read. */
export const SOURCE_NAMES = ['events', 'results', 'alerts'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** What every filter looks at, whatever the stream. */
export interface FilterRow {
  camera: string;
  plate: string;
  confidence: number;
  /** `hit` | `hit-fuzzy` | `miss` | `unknown` | '' (not looked up). */
  watchlist: string;
}

/** A result as the API shows it: the stored record plus the worker's watchlist tag. */
export type ResultItem = ResultRecord & { id: string; watchlist: string };
export type EventItem = EventRecord & { id: string };
export interface AlertItem {
  id: string;
  plate: string;
  watchPlate: string;
  camera: string;
  ts: number;
  frame: string;
  entry: string;
  label: string;
  fuzzy: boolean;
  distance: number;
  confidence: number | null;
}

/** How one stream's entries are decoded, filtered and written as CSV. */
export interface Source<T> {
  name: SourceName;
  stream(keys: StreamKeys): string;
  /** undefined: the entry cannot be read as this kind (skipped, never thrown). */
  decode(id: string, fields: string[]): T | undefined;
  row(item: T): FilterRow;
  csvHeader: readonly string[];
  csvRow(item: T): (string | number)[];
}

function fieldOf(fields: string[], name: string): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  return '';
}

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '');

const results: Source<ResultItem> = {
  name: 'results',
  stream: (k) => k.results,
  decode: (id, fields) => ({ ...decodeResult(id, fields), id, watchlist: fieldOf(fields, 'watchlist') }),
  row: (r) => r,
  csvHeader: ['id', 'frame', 'camera', 'time', 'plate', 'confidence', 'watchlist', 'model', 'worker'],
  csvRow: (r) => [r.id, r.frame, r.camera, iso(r.ts), r.plate, r.confidence, r.watchlist, r.model, r.worker],
};

const events: Source<EventItem> = {
  name: 'events',
  stream: (k) => k.events,
  decode: (id, fields) => ({ ...decodeEvent(id, fields), id }),
  row: (e) => e,
  csvHeader: [
    'id',
    'event',
    'camera',
    'first',
    'last',
    'plate',
    'confidence',
    'frames',
    'direction',
    'watchlist',
    'best_frame',
  ],
  csvRow: (e) => [
    e.id,
    e.event,
    e.camera,
    iso(e.firstTs),
    iso(e.lastTs),
    e.plate,
    e.confidence,
    e.frames,
    e.direction,
    e.watchlist,
    e.bestFrame,
  ],
};

const alerts: Source<AlertItem> = {
  name: 'alerts',
  stream: (k) => k.alerts,
  decode: (id, fields) => {
    try {
      const a = decodeAlert(id, fields);
      return {
        id,
        plate: a.plate,
        watchPlate: a.watchPlate,
        camera: a.camera,
        ts: Number(a.ts) || 0,
        frame: a.frame,
        entry: a.entry,
        label: a.label,
        fuzzy: a.fuzzy === '1',
        distance: Number(a.distance) || 0,
        confidence: a.confidence === '' ? null : Number(a.confidence),
      };
    } catch {
      return undefined;
    }
  },
  row: (a) => ({
    camera: a.camera,
    plate: a.plate,
    confidence: a.confidence ?? 1,
    watchlist: a.fuzzy ? 'hit-fuzzy' : 'hit',
  }),
  csvHeader: ['id', 'camera', 'time', 'plate', 'watch_plate', 'label', 'fuzzy', 'confidence', 'frame'],
  csvRow: (a) => [
    a.id,
    a.camera,
    iso(a.ts),
    a.plate,
    a.watchPlate,
    a.label,
    a.fuzzy ? 1 : 0,
    a.confidence ?? '',
    a.frame,
  ],
};

export const SOURCES: { [K in SourceName]: Source<unknown> } = {
  results: results as Source<unknown>,
  events: events as Source<unknown>,
  alerts: alerts as Source<unknown>,
};
