import type { RedisClient } from '../connection.ts';
import type { RedisConfig } from '../../config/redis-config.ts';
import { PlatestreamError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { closeRedis, createRedis, waitReady } from '../connection.ts';
import { isNoGroup } from '../reply-error.ts';
import { ensureGroups } from './ensure-group.ts';
import { MIN_ENTRY_ID } from './entry-id.ts';
import { parseReadReply, type ReadReply, type StreamEntry } from './stream-entry.ts';

/**
 * Blocking stream reads on a dedicated connection with a finite BLOCK and a watchdog: the one way every
 * stage reads a stream (worker, notifier, results tail, and the events stage and web live feed to come).
 *
 * API: `new BlockingReader(redisConfig, { name, blockMs, marginMs, logger?, onWatchdog?, recreateGroupFrom? })`
 * - `readGroup({ group, consumer, streams, count, pending? })`: XREADGROUP over one or several streams
 *   (partitions) at once; `pending: true` re-reads this consumer's own pending entries (id 0, no BLOCK)
 *   instead of new ones ('>'); `block: false` returns at once. With `recreateGroupFrom` set, a NOGROUP reply (stream deleted, Redis lost
 *   its data) recreates the group on every stream from that id and the read returns [].
 * - `read({ from: [{ stream, after }], count, block? })`: plain XREAD after the given ids (exclusive;
 *   '$' = only entries added from now on), for live feeds that resume from an id.
 * - `latestId(stream)`: id of the newest entry ('0-0' when empty), to pin '$' before a follow loop.
 * - `waitReady(timeoutMs)`, `close()` (idempotent; a read in progress settles at once with []).
 *
 * Why: ioredis re-sends an interrupted blocking command after a reconnect and, with maxRetriesPerRequest
 * null, may wait forever on a half-dead socket. When a read outlives BLOCK + margin the connection is
 * dropped (its command is rejected) and a fresh one opened; a blocking read then returns [], a
 * non-blocking one throws TIMEOUT. Entries a lost read had already delivered stay pending in their group
 * and are reclaimed (see Reclaimer).
 */

export interface BlockingReaderOptions {
  /** Connection name (CLIENT LIST shows `platestream:<name>`). */
  name: string;
  /** BLOCK of each read in ms (> 0: never block forever). */
  blockMs: number;
  /** A read that has not returned after blockMs + marginMs is stuck: its connection is replaced. */
  marginMs: number;
  logger?: Logger;
  /** Called each time the watchdog replaces the connection. */
  onWatchdog?: () => void;
  /** When set, NOGROUP on XREADGROUP recreates the group (MKSTREAM) from this id instead of throwing. */
  recreateGroupFrom?: string;
}

export interface GroupReadRequest {
  group: string;
  consumer: string;
  /** One or several streams (partitions); each gets '>' (or '0' when pending). */
  streams: readonly string[];
  /** Most entries per stream. */
  count: number;
  /** Read this consumer's own pending entries (history) instead of new ones; does not block. */
  pending?: boolean;
  /** false: return at once when nothing is there (no BLOCK); default true: wait up to blockMs. */
  block?: boolean;
}

/** Read position in one stream: entries after `after` (exclusive; '$' = from now on). */
export interface StreamCursor {
  stream: string;
  after: string;
}

export interface PlainReadRequest {
  from: readonly StreamCursor[];
  /** Most entries per stream. */
  count: number;
  /** false: return at once, even when nothing is there (default true: wait up to blockMs). */
  block?: boolean;
}

export class BlockingReader {
  private conn: RedisClient;
  private closed = false;

  constructor(
    private readonly config: RedisConfig,
    private readonly opts: BlockingReaderOptions,
  ) {
    if (!(opts.blockMs > 0))
      throw new Error(`BlockingReader ${opts.name}: blockMs must be > 0 (finite BLOCK)`);
    this.conn = this.open();
  }

  private open(): RedisClient {
    return createRedis(this.config, 'blocking', { name: this.opts.name, logger: this.opts.logger });
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once the connection is ready; REDIS_UNAVAILABLE after timeoutMs. */
  waitReady(timeoutMs: number): Promise<void> {
    return waitReady(this.conn, timeoutMs);
  }

  /** XREADGROUP; [] on timeout, after the watchdog fired or once closed. Throws other Redis errors. */
  async readGroup(req: GroupReadRequest): Promise<StreamEntry[]> {
    if (req.streams.length === 0) return [];
    const args: (string | number)[] = ['XREADGROUP', 'GROUP', req.group, req.consumer, 'COUNT', req.count];
    const block = !req.pending && req.block !== false;
    if (block) args.push('BLOCK', this.opts.blockMs);
    args.push('STREAMS', ...req.streams, ...req.streams.map(() => (req.pending ? '0' : '>')));
    try {
      return await this.call(args, block);
    } catch (err) {
      const from = this.opts.recreateGroupFrom;
      if (from === undefined || this.closed || !isNoGroup(err)) throw err;
      this.opts.logger?.warn(
        { streams: req.streams, group: req.group },
        'consumer group missing (stream deleted or Redis lost data); recreating',
      );
      await ensureGroups(this.conn, req.streams, req.group, { startId: from });
      return [];
    }
  }

  /** XREAD after each cursor; [] on timeout, after the watchdog fired on a blocking read, or once closed. */
  async read(req: PlainReadRequest): Promise<StreamEntry[]> {
    if (req.from.length === 0) return [];
    const block = req.block ?? true;
    const args: (string | number)[] = ['XREAD', 'COUNT', req.count];
    if (block) args.push('BLOCK', this.opts.blockMs);
    args.push('STREAMS', ...req.from.map((c) => c.stream), ...req.from.map((c) => c.after));
    return this.call(args, block);
  }

  /** Id of the newest entry of `stream` ('0-0' when it is empty or missing). */
  async latestId(stream: string): Promise<string> {
    const top = (await this.conn.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    return top[0]?.[0] ?? MIN_ENTRY_ID;
  }

  private async call(args: (string | number)[], blocking: boolean): Promise<StreamEntry[]> {
    if (this.closed) return [];
    const conn = this.conn;
    const o = this.opts;
    const [command, ...rest] = args as [string, ...(string | number)[]];
    const p = conn.callBuffer(command, ...rest) as unknown as Promise<ReadReply>;
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<'stuck'>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), o.blockMs + o.marginMs);
    });
    try {
      const reply = await Promise.race([p, watchdog]);
      if (reply !== 'stuck') return parseReadReply(reply);
      p.catch(() => {});
      if (!this.closed && conn === this.conn) {
        o.logger?.warn(
          { reader: o.name, command, blockMs: o.blockMs, marginMs: o.marginMs, status: conn.status },
          'stream read outlived BLOCK + margin; replacing its connection',
        );
        this.conn = this.open();
        conn.disconnect(false);
        o.onWatchdog?.();
      }
      if (blocking || this.closed) return [];
      throw new PlatestreamError(
        'TIMEOUT',
        `${command} did not answer within ${o.blockMs + o.marginMs} ms (reader ${o.name}); its connection was replaced`,
      );
    } catch (err) {
      if (this.closed) return [];
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection at once (no QUIT behind a blocked read). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn.disconnect(false);
    await closeRedis(this.conn);
  }
}
