import type { RedisConfig } from '../config/redis-config.ts';
import { closeRedis } from '../redis/connection.ts';
import type { MergedEntry } from '../redis/stream/merged.ts';
import { tailPartitions } from '../redis/stream/partitioned-tail.ts';
import { openRedis } from './open-redis.ts';

export interface PartitionsTailPrint<T> {
  /** Connection name, e.g. `results-tail`. */
  name: string;
  /** One stream per partition (index = partition). */
  streams: readonly string[];
  from?: string;
  to?: string;
  limit?: number;
  follow: boolean;
  /** Turns a merged entry into the command's row (its id shown as `<id>@<p>`). */
  decode: (e: MergedEntry) => T;
  keep: (row: T) => boolean;
  print: (row: T) => void;
}

/**
 * The body of `results tail` / `events tail` over several partitions: opens a connection, prints the merged
 * rows (history, then followed entries) until the end or SIGINT/SIGTERM, then closes the connection.
 */
export async function printPartitionsTail<T>(config: RedisConfig, o: PartitionsTailPrint<T>): Promise<void> {
  const redis = await openRedis(config, { name: o.name });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { from, to, limit, follow } = o;
    for await (const e of tailPartitions(config, redis, o.streams, {
      from,
      to,
      limit,
      follow,
      keep: (e) => o.keep(o.decode(e)),
      signal: stop.signal,
    }))
      o.print(o.decode(e));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeRedis(redis);
  }
}
