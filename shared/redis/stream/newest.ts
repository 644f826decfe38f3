import type { RedisClient } from '../connection.ts';
import { previousId } from './entry-id.ts';

/**
 * `tail -n N` for a stream: the newest `limit` entries with ids in [from, to] that `keep` accepts, oldest
 * first, read backwards with XREVRANGE in pages of `page`. Used by `results tail --limit` and
 * `events tail --limit`.
 */
export async function newestEntries<T>(
  redis: RedisClient,
  stream: string,
  o: {
    from: string;
    to: string;
    limit: number;
    decode: (id: string, fields: string[]) => T;
    keep: (entry: T) => boolean;
    page?: number;
  },
): Promise<T[]> {
  const page = o.page ?? 500;
  const out: T[] = [];
  let end = o.to;
  while (out.length < o.limit) {
    const rows = (await redis.xrevrange(stream, end, o.from, 'COUNT', page)) as [string, string[]][];
    for (const [id, fields] of rows) {
      const e = o.decode(id, fields);
      if (o.keep(e)) out.push(e);
      if (out.length >= o.limit) break;
    }
    if (rows.length < page) break;
    const oldest = rows[rows.length - 1]![0];
    if (oldest === '0-0') break;
    end = previousId(oldest);
  }
  return out.reverse();
}

/** Id of the newest entry of a stream ('+' when it is empty or missing). */
export async function newestId(redis: RedisClient, stream: string): Promise<string> {
  const last = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
  return last[0]?.[0] ?? '+';
}
