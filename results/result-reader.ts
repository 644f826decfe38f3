import { type Redis, ReplyError } from 'ioredis';
import { decodeResult, type ResultRecord } from '../shared/codec/result-codec.ts';
import { withTimeout } from '../shared/util/wait.ts';

export interface ReadResultsOptions {
  stream: string;
  /** Exclusive start: read entries after this id ("0-0" for all, "$" for only new ones). */
  after: string;
  follow: boolean;
  /** BLOCK per XREAD when following (ms); finite so the loop can notice a stop. */
  blockMs?: number;
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * Yields result records in stream order: first what exists after `after`, then (when following) new
 * entries as they arrive. Blocking reads use the given dedicated connection with a finite BLOCK; a read
 * that outlives BLOCK by more than 5 s is treated as hung (ioredis may re-send it after a reconnect):
 * the connection is dropped and re-established.
 */
export async function* readResults(redis: Redis, opts: ReadResultsOptions): AsyncGenerator<ResultRecord> {
  const page = opts.pageSize ?? 500;
  const block = opts.blockMs ?? 2000;
  let last = opts.after;
  if (last === '$') {
    const top = (await redis.xrevrange(opts.stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    last = top[0]?.[0] ?? '0-0';
  }
  // Catch up with XRANGE (non-blocking) first.
  for (;;) {
    if (opts.signal?.aborted) return;
    const rows = (await redis.xrange(opts.stream, `(${last}`, '+', 'COUNT', page)) as [string, string[]][];
    for (const [id, fields] of rows) {
      last = id;
      yield decodeResult(id, fields);
    }
    if (rows.length < page) break;
  }
  while (opts.follow && !opts.signal?.aborted) {
    let reply: [string, [string, string[]][]][] | null;
    try {
      reply = (await withTimeout(
        redis.xread('COUNT', page, 'BLOCK', block, 'STREAMS', opts.stream, last),
        block + 5000,
        'XREAD on results',
      )) as typeof reply;
    } catch (err) {
      if (opts.signal?.aborted || redis.status === 'end') return;
      // A command error (WRONGTYPE, NOPERM, ...) will not go away by retrying: report it.
      if (err instanceof ReplyError) throw err;
      // Hung or dropped read: reconnect and try again.
      redis.disconnect(true);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    for (const [, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        yield decodeResult(id, fields);
      }
    }
  }
}
