import type { Redis } from 'ioredis';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import type { Logger } from '../shared/logger.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';

/** One entry as read from a stream: id + flat [field, value, ...] list (values as Buffers). */
export interface RawEntry {
  id: string;
  fields: Buffer[];
}

export interface BlockingReaderOptions {
  stream: string;
  group: string;
  consumer: string;
  blockMs: number;
  /** A read that has not returned after blockMs + marginMs is stuck: the connection is replaced. */
  marginMs: number;
  logger?: Logger;
  /** Called each time the watchdog replaces the connection. */
  onWatchdog?: () => void;
}

type ReadReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

/**
 * XREADGROUP ... BLOCK on a dedicated connection, guarded by a watchdog. ioredis re-sends an interrupted
 * blocking command after a reconnect and, with maxRetriesPerRequest null, may wait forever on a half-dead
 * socket; when a read outlives BLOCK + margin we drop that connection (its command is rejected) and open a
 * fresh one. Entries a lost read had already delivered stay pending and are reclaimed after claimIdleMs.
 */
export class BlockingReader {
  private conn: Redis;
  private closed = false;

  constructor(
    private readonly config: RedisConfig,
    private readonly opts: BlockingReaderOptions,
  ) {
    this.conn = this.open();
  }

  private open(): Redis {
    return createRedis(this.config, 'blocking', {
      name: `worker-read:${this.opts.consumer}`,
      logger: this.opts.logger,
    });
  }

  /** Reads up to `count` new entries; [] on timeout or when the watchdog fired. Throws Redis errors (e.g. NOGROUP). */
  async read(count: number): Promise<RawEntry[]> {
    if (this.closed) return [];
    const conn = this.conn;
    const o = this.opts;
    const p = conn.callBuffer(
      'XREADGROUP',
      'GROUP',
      o.group,
      o.consumer,
      'COUNT',
      count,
      'BLOCK',
      o.blockMs,
      'STREAMS',
      o.stream,
      '>',
    ) as unknown as Promise<ReadReply>;
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<'stuck'>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), o.blockMs + o.marginMs);
    });
    try {
      const reply = await Promise.race([p, watchdog]);
      if (reply === 'stuck') {
        p.catch(() => {});
        if (!this.closed && conn === this.conn) {
          o.logger?.warn(
            { blockMs: o.blockMs, marginMs: o.marginMs, status: conn.status },
            'blocking read outlived BLOCK + margin; replacing its connection',
          );
          this.conn = this.open();
          conn.disconnect(false);
          o.onWatchdog?.();
        }
        return [];
      }
      return parseReadReply(reply);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection; a read in progress resolves or rejects promptly. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedis(this.conn);
  }
}

export function parseReadReply(reply: ReadReply): RawEntry[] {
  if (!reply) return [];
  const out: RawEntry[] = [];
  for (const [, entries] of reply) {
    for (const [id, fields] of entries) {
      out.push({ id: id.toString('latin1'), fields: fields ?? [] });
    }
  }
  return out;
}
