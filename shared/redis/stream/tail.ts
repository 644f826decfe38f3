import type { BlockingReader, StreamCursor } from './blocking-reader.ts';
import type { StreamEntry } from './stream-entry.ts';

/**
 * Reading one or several streams from a position without a consumer group: what exists after each
 * cursor, then (when following) entries as they arrive. For analysts' tails and live feeds that resume
 * from the last id a client saw (SSE Last-Event-ID).
 *
 * API: `tailStreams(reader, { from, follow, count?, signal? })` → async iterable of StreamEntry; each
 * cursor moves past every entry yielded (`cursor.after` of the passed objects is NOT changed: read the
 * position from the yielded entries). A cursor of '$' is pinned to the newest entry first, so nothing
 * written between two reads is missed. Without `follow` it ends when every stream is read to its end.
 * Ends when `signal` aborts (after the read in progress) or the reader is closed.
 */

export interface TailOptions {
  from: readonly StreamCursor[];
  follow: boolean;
  /** Entries per stream and read (default 500). */
  count?: number;
  signal?: AbortSignal;
}

export async function* tailStreams(reader: BlockingReader, opts: TailOptions): AsyncGenerator<StreamEntry> {
  const cursors: StreamCursor[] = [];
  for (const c of opts.from) {
    cursors.push({ stream: c.stream, after: c.after === '$' ? await reader.latestId(c.stream) : c.after });
  }
  const byStream = new Map(cursors.map((c) => [c.stream, c]));
  const count = opts.count ?? 500;
  while (!opts.signal?.aborted) {
    const entries = await reader.read({ from: cursors, count, block: opts.follow });
    for (const e of entries) {
      const c = byStream.get(e.stream);
      if (c) c.after = e.id;
      yield e;
      if (opts.signal?.aborted) return;
    }
    if (!opts.follow && entries.length === 0) return;
    if (reader.isClosed) return;
  }
}
