import type { RedisClient } from '../connection.ts';
import type { RedisConfig } from '../../config/redis-config.ts';
import { BlockingReader } from './blocking-reader.ts';
import { compareIds, MIN_ENTRY_ID, previousId } from './entry-id.ts';
import { type MergedEntry, mergedNewestFirst, mergedOldestFirst } from './merged.ts';
import { entryFields } from './stream-entry.ts';
import { tailStreams } from './tail.ts';

export interface PartitionTailOptions {
  /** First id to show (inclusive), or undefined. */
  from?: string;
  /** Last id to show (inclusive); a tail with an end never follows. */
  to?: string;
  /** Show only the newest `limit` matching entries already written (then follow, when following). */
  limit?: number;
  follow: boolean;
  keep: (e: MergedEntry) => boolean;
  signal?: AbortSignal;
}

/**
 * `results tail` / `events tail` over several partitions' streams (index = partition). What is already
 * written comes in the merged order (id, partition) of shared/redis/stream/merged.ts; new entries are then
 * followed with one blocking reader per partition (one hash slot per XREAD, so this works on Redis
 * Cluster) and shown as they arrive: in order within a partition, by arrival across partitions.
 */
export async function* tailPartitions(
  config: RedisConfig,
  redis: RedisClient,
  streams: readonly string[],
  o: PartitionTailOptions,
): AsyncGenerator<MergedEntry> {
  // Each partition's newest entry now: history stops there and following starts after it.
  const after = await Promise.all(
    streams.map(async (s) => {
      const top = (await redis.xrevrange(s, '+', '-', 'COUNT', 1)) as [string, string[]][];
      return top[0]?.[0] ?? MIN_ENTRY_ID;
    }),
  );
  const pinnedMax = after.reduce((a, b) => (compareIds(a, b) >= 0 ? a : b), MIN_ENTRY_ID);
  const end = o.to ?? (pinnedMax === MIN_ENTRY_ID ? '+' : pinnedMax);
  const inHistory = (e: MergedEntry) => compareIds(e.id, after[e.partition]!) <= 0;
  if (o.limit !== undefined) {
    const newest: MergedEntry[] = [];
    for await (const e of mergedNewestFirst(redis, streams, { start: o.from ?? '-', end })) {
      if (!inHistory(e) || !o.keep(e)) continue;
      newest.push(e);
      if (newest.length >= o.limit) break;
    }
    yield* newest.reverse();
  } else if (o.from !== undefined || !o.follow) {
    for await (const e of mergedOldestFirst(redis, streams, { start: o.from ?? '-', end })) {
      if (o.signal?.aborted) return;
      if (inHistory(e) && o.keep(e)) yield e;
    }
  }
  if (!o.follow || o.signal?.aborted) return;
  if (o.from !== undefined && o.limit === undefined) {
    // Entries older than --from are not shown even when they are new.
    for (let p = 0; p < after.length; p++)
      if (compareIds(after[p]!, o.from) < 0) after[p] = previousId(o.from);
  }
  yield* follow(config, streams, after, o);
}

async function* follow(
  config: RedisConfig,
  streams: readonly string[],
  after: string[],
  o: PartitionTailOptions,
): AsyncGenerator<MergedEntry> {
  const readers = streams.map(
    (_, p) => new BlockingReader(config, { name: `tail:${p}`, blockMs: 2000, marginMs: 5000 }),
  );
  const queue: MergedEntry[] = [];
  let wake: (() => void) | undefined;
  let running = streams.length;
  const pump = async (p: number) => {
    try {
      for await (const e of tailStreams(readers[p]!, {
        from: [{ stream: streams[p]!, after: after[p]! }],
        follow: true,
        signal: o.signal,
      })) {
        queue.push({ partition: p, id: e.id, fields: entryFields(e) });
        wake?.();
      }
    } finally {
      running--;
      wake?.();
    }
  };
  const pumps = streams.map((_, p) => pump(p));
  const onAbort = () => {
    for (const r of readers) void r.close();
  };
  o.signal?.addEventListener('abort', onAbort);
  try {
    while (running > 0 || queue.length > 0) {
      const e = queue.shift();
      if (e) {
        if (o.keep(e)) yield e;
        continue;
      }
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(readers.map((r) => r.close()));
    await Promise.allSettled(pumps);
  }
}
