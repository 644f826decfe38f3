import type { RedisConfig } from '../shared/config/redis-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { BlockingReader, compareIds, entryFields, type StreamCursor } from '../shared/redis/stream/index.ts';
import { RateLimitedWarning } from '../shared/util/rate-limited-warning.ts';
import { delay } from '../shared/util/wait.ts';
import { SOURCE_NAMES, SOURCES, type SourceName } from './sources.ts';

/** One live-feed message, rendered once and shared by every client that wants its stream. */
export interface LiveMessage {
  kind: SourceName;
  /** The Redis stream id. */
  id: string;
  /** The SSE frame without its `id:` line (each connection writes its own): `event:`, `data:`, blank line. */
  body: string;
}

export interface LiveHubOptions {
  redis: RedisConfig;
  keys: StreamKeys;
  /** BLOCK of each read (ms; finite, the reader's watchdog replaces a stuck connection). */
  blockMs: number;
  logger?: Logger;
  onReadError?: () => void;
}

type Listener = (m: LiveMessage) => void;

/** Renders one entry as an SSE frame (undefined when it cannot be decoded as its kind). */
export function renderSse(kind: SourceName, id: string, fields: string[]): LiveMessage | undefined {
  const item = SOURCES[kind].decode(id, fields);
  if (item === undefined) return undefined;
  return { kind, id, body: `event: ${kind}\ndata: ${JSON.stringify(item)}\n\n` };
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
  private readonly reader: BlockingReader;
  private readonly listeners = new Map<SourceName, Set<Listener>>(SOURCE_NAMES.map((k) => [k, new Set()]));
  private readonly kindOf = new Map<string, SourceName>();
  private cursors: StreamCursor[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private running = false;
  private problem = 'not started';
  private clients = 0;
  private readonly warn: RateLimitedWarning;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: LiveHubOptions) {
    this.reader = new BlockingReader(opts.redis, {
      name: 'web-live',
      blockMs: opts.blockMs,
      marginMs: Math.max(1000, opts.blockMs),
      logger: opts.logger,
    });
    for (const k of SOURCE_NAMES) this.kindOf.set(SOURCES[k].stream(opts.keys), k);
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

  /** Where the reader is in each stream: a subscriber added now gets every entry after these ids. */
  positions(): Map<SourceName, string> {
    const out = new Map<SourceName, string>();
    for (const c of this.cursors) out.set(this.kindOf.get(c.stream)!, c.after);
    return out;
  }

  status(): { running: boolean; problem: string; clients: number } {
    return { running: this.running, problem: this.problem, clients: this.clients };
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted && this.cursors.length === 0) {
      try {
        const cursors: StreamCursor[] = [];
        for (const stream of this.kindOf.keys()) {
          cursors.push({ stream, after: await this.reader.latestId(stream) });
        }
        this.cursors = cursors;
      } catch (err) {
        this.problem = `cannot read the streams' positions: ${err instanceof Error ? err.message : String(err)}`;
        this.warn.warn({ err }, 'live reader cannot reach Redis; retrying');
        await delay(500, signal);
      }
    }
    while (!signal.aborted) {
      this.running = true;
      let entries: Awaited<ReturnType<BlockingReader['read']>>;
      try {
        entries = await this.reader.read({ from: this.cursors, count: 500 });
      } catch (err) {
        this.opts.onReadError?.();
        this.warn.warn({ err }, 'live read failed; retrying from the same positions');
        await delay(250, signal);
        continue;
      }
      if (entries.length === 0) continue;
      if (entries.length > 1) entries.sort((a, b) => compareIds(a.id, b.id));
      for (const e of entries) {
        const kind = this.kindOf.get(e.stream);
        if (kind === undefined) continue;
        const cursor = this.cursors.find((c) => c.stream === e.stream)!;
        cursor.after = e.id;
        const listeners = this.listeners.get(kind)!;
        if (listeners.size === 0) continue;
        const m = renderSse(kind, e.id, entryFields(e));
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
      await this.reader.close();
      await this.loop;
    })();
    return this.closing;
  }
}
