import type { RedisConfig } from '../shared/config/redis-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Partitions } from '../shared/redis/partitions.ts';
import { partitionedId } from '../shared/redis/stream/merged.ts';
import { BlockingReader, compareIds, entryFields, type StreamCursor } from '../shared/redis/stream/index.ts';
import { RateLimitedWarning } from '../shared/util/rate-limited-warning.ts';
import { delay } from '../shared/util/wait.ts';
import { SOURCE_NAMES, SOURCES, type SourceName } from './sources.ts';

/** One live-feed message, rendered once and shared by every client that wants its stream. */
export interface LiveMessage {
  kind: SourceName;
  /**
   * The stream it came from as a position key: the kind (`results`) with one partition, `<kind>@<p>`
   * (`results@3`) with LPR_PARTITIONS > 1, where every partition's stream has its own positions.
   */
  channel: string;
  /** The Redis stream id (a position within the channel). */
  id: string;
  /** The SSE frame without its `id:` line (each connection writes its own): `event:`, `data:`, blank line. */
  body: string;
}

export interface LiveHubOptions {
  redis: RedisConfig;
  /** Every partition's streams are followed (one reader per partition: its streams share a hash slot). */
  parts: Partitions;
  /** BLOCK of each read (ms; finite, the reader's watchdog replaces a stuck connection). */
  blockMs: number;
  logger?: Logger;
  onReadError?: () => void;
}

type Listener = (m: LiveMessage) => void;

/** The live channels of some kinds: one per kind and partition, with its stream (see LiveMessage.channel). */
export function liveChannels(
  parts: Partitions,
  kinds: readonly SourceName[],
): { channel: string; kind: SourceName; p: number; stream: string }[] {
  return parts.all.flatMap((k, p) =>
    kinds.map((kind) => ({
      channel: parts.count === 1 ? kind : `${kind}@${p}`,
      kind,
      p,
      stream: SOURCES[kind].stream(k),
    })),
  );
}

/**
 * Renders one entry as an SSE frame (undefined when it cannot be decoded as its kind). The item's id is
 * `<id>@<p>` with several partitions, as the search API shows it.
 */
export function renderSse(
  ch: { channel: string; kind: SourceName; p: number },
  id: string,
  fields: string[],
  partitions: number,
): LiveMessage | undefined {
  const item = SOURCES[ch.kind].decode(partitionedId(id, ch.p, partitions), fields);
  if (item === undefined) return undefined;
  return {
    kind: ch.kind,
    channel: ch.channel,
    id,
    body: `event: ${ch.kind}\ndata: ${JSON.stringify(item)}\n\n`,
  };
}

/**
 * The one reader of a web process: follows the events, results and alerts streams on its own blocking
 * connection (BlockingReader: finite BLOCK, watchdog) and fans every new entry out to the subscribed
 * clients, so 200 browsers cost one Redis connection, not 200. Entries of one read are delivered in id
 * order across streams. A failed read is retried from the same positions: nothing is skipped.
 *
 * API: `start()` pins each stream's position at its newest entry; `subscribe(kinds, fn)` → unsubscribe;
 * `status()`; `close()` (idempotent).
 */
export class LiveHub {
  /** One reader per partition (a partition's events, results and alerts share its hash slot). */
  private readonly readers: BlockingReader[];
  private readonly listeners = new Map<SourceName, Set<Listener>>(SOURCE_NAMES.map((k) => [k, new Set()]));
  private readonly channelOf = new Map<string, ReturnType<typeof liveChannels>[number]>();
  /** Per partition: its streams' read positions. */
  private cursors: StreamCursor[][] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private running = false;
  private problem = 'not started';
  private clients = 0;
  private readonly warn: RateLimitedWarning;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: LiveHubOptions) {
    this.readers = opts.parts.all.map(
      (_, p) =>
        new BlockingReader(opts.redis, {
          name: opts.parts.count === 1 ? 'web-live' : `web-live:${p}`,
          blockMs: opts.blockMs,
          marginMs: Math.max(1000, opts.blockMs),
          logger: opts.logger,
        }),
    );
    for (const ch of liveChannels(opts.parts, SOURCE_NAMES)) this.channelOf.set(ch.stream, ch);
    this.warn = new RateLimitedWarning(10_000, (o, m) => opts.logger?.warn(o, m));
  }

  /** Pins the read positions at each stream's newest entry (retrying while Redis is down) and starts reading. */
  start(): void {
    if (this.loop) return;
    this.loop = this.run().catch((err: unknown) => {
      this.running = false;
      this.problem = err instanceof Error ? err.message : String(err);
      this.opts.logger?.error({ err }, 'live reader stopped');
    });
  }

  /** Resolves once the positions are pinned and the first read is under way. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.running) {
      if (Date.now() > deadline)
        throw new Error(`live reader not ready after ${timeoutMs} ms: ${this.problem}`);
      await delay(10, this.abort.signal);
      if (this.abort.signal.aborted) return;
    }
  }

  subscribe(kinds: ReadonlySet<SourceName>, fn: Listener): () => void {
    for (const k of kinds) this.listeners.get(k)!.add(fn);
    this.clients++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.clients--;
      for (const k of kinds) this.listeners.get(k)!.delete(fn);
    };
  }

  /** Where the reader is in each channel: a subscriber added now gets every entry after these ids. */
  positions(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.cursors.flat()) out.set(this.channelOf.get(c.stream)!.channel, c.after);
    return out;
  }

  status(): { running: boolean; problem: string; clients: number } {
    return { running: this.running, problem: this.problem, clients: this.clients };
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const parts = this.opts.parts;
    while (!signal.aborted && this.cursors.length === 0) {
      try {
        const cursors: StreamCursor[][] = [];
        for (const [p, k] of parts.all.entries()) {
          const mine: StreamCursor[] = [];
          for (const kind of SOURCE_NAMES) {
            const stream = SOURCES[kind].stream(k);
            mine.push({ stream, after: await this.readers[p]!.latestId(stream) });
          }
          cursors.push(mine);
        }
        this.cursors = cursors;
      } catch (err) {
        this.problem = `cannot read the streams' positions: ${err instanceof Error ? err.message : String(err)}`;
        this.warn.warn({ err }, 'live reader cannot reach Redis; retrying');
        await delay(500, signal);
      }
    }
    this.running = true;
    await Promise.all(this.readers.map((_, p) => this.follow(p)));
  }

  /** One partition's streams: read on its own connection, fan out to the subscribers. */
  private async follow(p: number): Promise<void> {
    const signal = this.abort.signal;
    const cursors = this.cursors[p]!;
    while (!signal.aborted) {
      let entries: Awaited<ReturnType<BlockingReader['read']>>;
      try {
        entries = await this.readers[p]!.read({ from: cursors, count: 500 });
      } catch (err) {
        this.opts.onReadError?.();
        this.warn.warn({ err, partition: p }, 'live read failed; retrying from the same positions');
        await delay(250, signal);
        continue;
      }
      if (entries.length === 0) continue;
      if (entries.length > 1) entries.sort((a, b) => compareIds(a.id, b.id));
      for (const e of entries) {
        const ch = this.channelOf.get(e.stream);
        if (ch === undefined) continue;
        const cursor = cursors.find((c) => c.stream === e.stream)!;
        cursor.after = e.id;
        const listeners = this.listeners.get(ch.kind)!;
        if (listeners.size === 0) continue;
        const m = renderSse(ch, e.id, entryFields(e), this.opts.parts.count);
        if (m === undefined) continue;
        for (const fn of listeners) {
          try {
            fn(m);
          } catch (err) {
            this.opts.logger?.warn({ err }, 'live listener failed');
          }
        }
      }
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      this.running = false;
      this.problem = 'closed';
      await Promise.all(this.readers.map((r) => r.close()));
      await this.loop;
    })();
    return this.closing;
  }
}
