import type { RedisClient } from '../connection.ts';
import { compareIds, isEntryId } from './entry-id.ts';

/**
 * Reading several partitions' streams (`lpr:{0}:results` .. `lpr:{P-1}:results`) as one, in a stable order.
 *
 * Entry ids are unique per stream only: two partitions can both hold `1700000000000-0`. Across partitions an
 * entry is therefore named `<stream id>@<partition>` (with one partition: the plain id, so nothing changes
 * there), and the merged order is (stream id, partition): newest first = higher id first, then higher
 * partition. A cursor `<id>@<p>` continues exactly after that entry; a plain id continues after every
 * entry with that id. Each partition is read with its own XRANGE / XREVRANGE (one hash slot per command,
 * so this works on Redis Cluster), in pages, and the pages are merged (k-way).
 *
 * API: `partitionedId(id, p, count)`, `parsePartitionedId(text)`, `mergedNewestFirst(redis, streams, o)`,
 * `mergedOldestFirst(redis, streams, o)`.
 */

export interface PartitionedId {
  id: string;
  /** undefined for a plain id (no `@p`). */
  partition: number | undefined;
}

/** The id an entry of partition `p` is shown with: its stream id, plus `@p` when there are several partitions. */
export function partitionedId(id: string, p: number, count: number): string {
  return count <= 1 ? id : `${id}@${p}`;
}

/** `<id>` or `<id>@<p>`; undefined when it is neither. */
export function parsePartitionedId(text: string): PartitionedId | undefined {
  const m = /^(\d+-\d+)(?:@(\d{1,3}))?$/.exec(text);
  if (!m || !isEntryId(m[1]!)) return undefined;
  return { id: m[1]!, partition: m[2] === undefined ? undefined : Number(m[2]) };
}

/** One entry of a merged read. */
export interface MergedEntry {
  partition: number;
  id: string;
  fields: string[];
}

export interface MergedRangeOptions {
  /** Inclusive lower id bound, or '-' (XRANGE syntax; `(id` exclusive). */
  start: string;
  /** Inclusive upper id bound, or '+' (`(id` exclusive). */
  end: string;
  /** Continue after this entry in the merged order (newest first: older ones; oldest first: newer ones). */
  cursor?: PartitionedId;
  /** Entries per XRANGE page and stream. */
  page?: number;
}

/** Newest first over every stream (index in `streams` = partition). Ends when every stream is read down to `start`. */
export async function* mergedNewestFirst(
  redis: RedisClient,
  streams: readonly string[],
  o: MergedRangeOptions,
): AsyncGenerator<MergedEntry> {
  yield* merge(redis, streams, o, 'desc');
}

/** Oldest first over every stream. Ends when every stream is read up to `end`. */
export async function* mergedOldestFirst(
  redis: RedisClient,
  streams: readonly string[],
  o: MergedRangeOptions,
): AsyncGenerator<MergedEntry> {
  yield* merge(redis, streams, o, 'asc');
}

interface Head {
  p: number;
  rows: [string, string[]][];
  /** Next bound to read from (exclusive after the first page). */
  bound: string;
  done: boolean;
}

async function* merge(
  redis: RedisClient,
  streams: readonly string[],
  o: MergedRangeOptions,
  dir: 'asc' | 'desc',
): AsyncGenerator<MergedEntry> {
  const page = o.page ?? 500;
  const c = o.cursor;
  const heads: Head[] = streams.map((_, p) => {
    let bound = dir === 'desc' ? o.end : o.start;
    if (c) {
      // Newest first, after (id, p): older ids, or the same id in lower partitions. A plain id: older ids only.
      // Oldest first, after (id, p): newer ids, or the same id in higher partitions. A plain id: newer ids only.
      const inclusive = c.partition !== undefined && (dir === 'desc' ? p < c.partition : p > c.partition);
      const fromCursor = inclusive ? c.id : `(${c.id}`;
      bound = tighter(bound, fromCursor, dir);
    }
    return { p, rows: [], bound, done: false };
  });
  const fill = async (h: Head) => {
    if (h.rows.length > 0 || h.done) return;
    const rows = (
      dir === 'desc'
        ? await redis.xrevrange(streams[h.p]!, h.bound, o.start, 'COUNT', page)
        : await redis.xrange(streams[h.p]!, h.bound, o.end, 'COUNT', page)
    ) as [string, string[]][];
    h.rows = rows;
    if (rows.length < page) h.done = true;
    else h.bound = `(${rows[rows.length - 1]![0]}`;
  };
  const sign = dir === 'desc' ? -1 : 1;
  for (;;) {
    await Promise.all(heads.map(fill));
    let best: Head | undefined;
    for (const h of heads) {
      if (h.rows.length === 0) continue;
      if (!best) {
        best = h;
        continue;
      }
      const d = compareIds(h.rows[0]![0], best.rows[0]![0]) || h.p - best.p;
      if (d * sign < 0) best = h;
    }
    if (!best) return;
    const [id, fields] = best.rows.shift()!;
    yield { partition: best.p, id, fields };
  }
}

/** The narrower of two bounds in the reading direction (desc: the lower end bound; asc: the higher start). */
function tighter(a: string, b: string, dir: 'asc' | 'desc'): string {
  if (a === '+' || a === '-') return b;
  const ida = a.replace(/^\(/, '');
  const idb = b.replace(/^\(/, '');
  const d = compareIds(
    ida.includes('-') ? ida : `${ida}-${dir === 'desc' ? '18446744073709551615' : '0'}`,
    idb,
  );
  if (d === 0) return a.startsWith('(') ? a : b;
  return (dir === 'desc' ? d < 0 : d > 0) ? a : b;
}
