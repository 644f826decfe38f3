import type { RedisClient } from '../shared/redis/connection.ts';
import { plateGlobToRegExp } from '../results/filters.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { isEntryId } from '../shared/redis/stream/index.ts';
import {
  mergedNewestFirst,
  type PartitionedId,
  parsePartitionedId,
  partitionedId,
} from '../shared/redis/stream/merged.ts';
import type { FilterRow, Source } from './sources.ts';

export const PLATE_MATCHES = ['exact', 'prefix', 'glob'] as const;
export type PlateMatch = (typeof PLATE_MATCHES)[number];

/** The filters of GET /v1/{results,events,alerts}[.csv], as sent in the query string. */
export interface SearchQuery {
  /** One camera id or several separated by ",". */
  camera?: string;
  plate?: string;
  /** How `plate` matches; default glob when it holds `*` or `?`, else exact. */
  match?: PlateMatch;
  /** Oldest entry: a stream id, a ms epoch, an ISO date or a relative time (-10m, -2h, -1d). */
  from?: string;
  /** Newest entry, the same forms as `from`. */
  to?: string;
  minConfidence?: number;
  /** Only watchlist hits (exact or fuzzy). */
  watchlist?: boolean;
  /** Results only: keep frames where no plate was read. */
  withEmpty?: boolean;
  /** Page size. */
  limit?: number;
  /** The `next` of the previous page: entries older than this id (`<id>@<partition>` with LPR_PARTITIONS > 1). */
  cursor?: string;
}

/** A compiled search: the id window and the row test. */
export interface SearchPlan {
  /** Inclusive lower bound (XREVRANGE start). */
  start: string;
  /** Inclusive upper bound or, with `(`, exclusive (XREVRANGE end). */
  end: string;
  /** Continue after this entry (the previous page's `next`). */
  cursor?: PartitionedId;
  keep(row: FilterRow): boolean;
}

/** Parses a time bound to a stream id bound; `side` picks the start or the end of a millisecond. */
export function timeBound(name: string, value: string, side: 'start' | 'end', now = Date.now()): string {
  const s = value.trim();
  if (/^\d+-\d+$/.test(s) && isEntryId(s)) return s;
  let ms: number | undefined;
  if (/^\d{10,16}$/.test(s)) ms = Number(s);
  const rel = /^-(\d+)(s|m|h|d)$/.exec(s);
  if (rel) ms = now - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's'];
  if (ms === undefined && /^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) ms = t;
  }
  if (ms === undefined || ms < 0) {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `query parameter "${name}" = "${s.slice(0, 40)}" is not a time; use a stream id, a ms epoch, an ISO date (2026-01-31T08:00:00Z) or a relative time such as -10m, -2h, -1d`,
    );
  }
  // A bare millisecond means its first id as a start and its last id as an end (XRANGE semantics).
  return side === 'start' ? `${Math.trunc(ms)}-0` : String(Math.trunc(ms));
}

export function compileSearch(q: SearchQuery, opts: { allowEmpty: boolean }): SearchPlan {
  const cameras = new Set(
    (q.camera ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
  );
  let re: RegExp | undefined;
  if (q.plate !== undefined && q.plate.trim() !== '') {
    const text = q.plate.trim();
    const match = q.match ?? (/[*?]/.test(text) ? 'glob' : 'exact');
    const glob = match === 'exact' ? normalisePlate(text) : match === 'prefix' ? `${text}*` : text;
    if (glob.replace(/[*?]/g, '') === '' && match === 'exact') {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `query parameter "plate" = "${text}" has no plate characters`,
      );
    }
    re = plateGlobToRegExp(glob);
  }
  const minConfidence = q.minConfidence ?? 0;
  const hitsOnly = q.watchlist === true;
  const withEmpty = opts.allowEmpty && q.withEmpty === true;
  const end = q.to !== undefined ? timeBound('to', q.to, 'end') : '+';
  let cursor: PartitionedId | undefined;
  if (q.cursor !== undefined) {
    cursor = parsePartitionedId(q.cursor);
    if (!cursor) {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `query parameter "cursor" = "${q.cursor.slice(0, 40)}" is not a stream id; pass the "next" of the previous page`,
      );
    }
  }
  return {
    start: q.from !== undefined ? timeBound('from', q.from, 'start') : '-',
    end,
    cursor,
    keep(r) {
      if (cameras.size > 0 && !cameras.has(r.camera)) return false;
      if (!r.plate) return withEmpty && re === undefined && minConfidence <= 0 && !hitsOnly;
      if (r.confidence < minConfidence) return false;
      if (hitsOnly && r.watchlist !== 'hit' && r.watchlist !== 'hit-fuzzy') return false;
      if (re && !re.test(r.plate)) return false;
      return true;
    },
  };
}

export interface SearchPage<T> {
  items: T[];
  /** Pass as `cursor` for the next (older) page; null when the window is exhausted. */
  next: string | null;
  /** Entries looked at for this page. */
  scanned: number;
}

/**
 * Newest-first matches of one stream, or of every partition's stream merged (index in `streams` = partition;
 * ids shown as `<id>@<p>` when there are several, see shared/redis/stream/merged.ts). Stops at `limit`
 * matches or after `maxScan` entries, whichever comes first, and says where to continue; a page is never
 * unbounded work.
 */
export async function searchPage<T>(
  redis: RedisClient,
  streams: readonly string[],
  source: Source<T>,
  plan: SearchPlan,
  opts: { limit: number; maxScan: number },
): Promise<SearchPage<T>> {
  const items: T[] = [];
  let scanned = 0;
  const page = Math.min(1000, Math.max(opts.limit * 4, 50));
  for await (const e of mergedNewestFirst(redis, streams, { ...plan, page })) {
    scanned++;
    const id = partitionedId(e.id, e.partition, streams.length);
    const item = source.decode(id, e.fields);
    if (item !== undefined && plan.keep(source.row(item))) {
      items.push(item);
      if (items.length >= opts.limit) return { items, next: id, scanned };
    }
    if (scanned >= opts.maxScan) return { items, next: id, scanned };
  }
  return { items, next: null, scanned };
}

/** Every match, newest first, at most `maxRows` (for CSV exports: read as they are written). */
export async function* searchAll<T>(
  redis: RedisClient,
  streams: readonly string[],
  source: Source<T>,
  plan: SearchPlan,
  maxRows: number,
): AsyncGenerator<T> {
  let n = 0;
  for await (const e of mergedNewestFirst(redis, streams, { ...plan, page: 1000 })) {
    const item = source.decode(partitionedId(e.id, e.partition, streams.length), e.fields);
    if (item === undefined || !plan.keep(source.row(item))) continue;
    yield item;
    if (++n >= maxRows) return;
  }
}

/** One CSV field: quoted when it holds a comma, quote or line break; formula-looking text neutralised. */
export function csvField(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
