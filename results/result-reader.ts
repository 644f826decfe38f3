import { decodeResult, type ResultRecord } from '../shared/codec/result-codec.ts';
import { type BlockingReader, entryFields, tailStreams } from '../shared/redis/stream/index.ts';

export interface ReadResultsOptions {
  stream: string;
  /** Exclusive start: read entries after this id ("0-0" for all, "$" for only new ones). */
  after: string;
  follow: boolean;
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * Yields result records in stream order: first what exists after `after`, then (when following) new
 * entries as they arrive. Reads go through the shared BlockingReader (its own connection, finite BLOCK,
 * watchdog), so a hung read is replaced rather than waited on.
 */
export async function* readResults(
  reader: BlockingReader,
  opts: ReadResultsOptions,
): AsyncGenerator<ResultRecord> {
  for await (const entry of tailStreams(reader, {
    from: [{ stream: opts.stream, after: opts.after }],
    follow: opts.follow,
    count: opts.pageSize ?? 500,
    signal: opts.signal,
  })) {
    yield decodeResult(entry.id, entryFields(entry));
  }
}
