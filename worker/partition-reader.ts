import type { RedisClient } from '../shared/redis/connection.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Partitions } from '../shared/redis/partitions.ts';
import {
  BlockingReader,
  MIN_ENTRY_ID,
  parseGroupInfo,
  type StreamEntry,
} from '../shared/redis/stream/index.ts';

export interface PartitionReaderOptions {
  redis: RedisConfig;
  /** A non-blocking connection for XINFO GROUPS (the worker's own). */
  conn: RedisClient;
  parts: Partitions;
  group: string;
  consumer: string;
  /** BLOCK of the reads that wait for new frames (ms, finite). */
  blockMs: number;
  /** Watchdog margin of those reads. */
  marginMs: number;
  logger?: Logger;
  onWatchdog?: () => void;
}

/**
 * The worker's reads of new frames over every partition (LPR_PARTITIONS).
 *
 * One partition: one blocking XREADGROUP on its own connection, exactly as before partitions existed.
 *
 * P partitions: on Redis Cluster one XREADGROUP cannot name streams of several hash slots, so each round
 * asks the partitions one after the other with a non-blocking XREADGROUP (COUNT = the free slots left),
 * starting one partition further each round (round-robin: a busy partition cannot starve the others, and
 * the worker never holds more frames than it has free slots). Only when a whole round found nothing does
 * it wait: one `XREAD BLOCK` per partition, each on its own connection, after the group's last-delivered
 * id, so it wakes as soon as any partition gets a frame no consumer has had yet, and otherwise after
 * BLOCK ms. XREAD claims nothing (the group read that follows does), and a wait still pending from the
 * previous idle period is reused rather than stacked, so an idle worker sends one command per partition
 * per BLOCK period: no busy polling of empty partitions.
 */
export class PartitionReader {
  private readonly poll: BlockingReader;
  private readonly watchers: BlockingReader[];
  private readonly waits: (Promise<unknown> | undefined)[];
  private next = 0;

  constructor(private readonly o: PartitionReaderOptions) {
    const base = {
      blockMs: o.blockMs,
      marginMs: o.marginMs,
      logger: o.logger,
      onWatchdog: o.onWatchdog,
      // Stream deleted or Redis lost its data: recreate the group from the start and go on reading.
      recreateGroupFrom: '0',
    };
    this.poll = new BlockingReader(o.redis, { ...base, name: `worker-read:${o.consumer}` });
    this.watchers =
      o.parts.count === 1
        ? []
        : o.parts.all.map(
            (_, p) => new BlockingReader(o.redis, { ...base, name: `worker-wait:${o.consumer}:${p}` }),
          );
    this.waits = this.watchers.map(() => undefined);
  }

  /** Up to `max` new frames; [] after about blockMs when none came, or once closed. */
  async read(max: number): Promise<StreamEntry[]> {
    const { parts, group, consumer } = this.o;
    if (parts.count === 1)
      return this.poll.readGroup({ group, consumer, streams: [parts.all[0]!.frames], count: max });
    for (let round = 0; round < 2 && !this.poll.isClosed; round++) {
      const out: StreamEntry[] = [];
      const start = this.next;
      this.next = (this.next + 1) % parts.count;
      for (let i = 0; i < parts.count && out.length < max; i++) {
        const keys = parts.all[(start + i) % parts.count]!;
        out.push(
          ...(await this.poll.readGroup({
            group,
            consumer,
            streams: [keys.frames],
            count: max - out.length,
            block: false,
          })),
        );
      }
      if (out.length > 0 || round === 1) return out;
      await this.waitForAny();
    }
    return [];
  }

  /** Waits until some partition has an entry past its group's last-delivered id (or blockMs passed). */
  private async waitForAny(): Promise<void> {
    const { parts, group } = this.o;
    await Promise.all(
      parts.all.map(async (keys, p) => {
        if (this.waits[p]) return;
        const after = await this.lastDelivered(keys.frames, group);
        const w = this.watchers[p]!.read({ from: [{ stream: keys.frames, after }], count: 1 })
          .catch((err: unknown) =>
            this.o.logger?.warn({ err, stream: keys.frames }, 'waiting for frames failed'),
          )
          .finally(() => {
            if (this.waits[p] === w) this.waits[p] = undefined;
          });
        this.waits[p] = w;
      }),
    );
    await Promise.race(this.waits.filter((w) => w !== undefined));
  }

  private async lastDelivered(stream: string, group: string): Promise<string> {
    try {
      const info = parseGroupInfo(await this.o.conn.xinfo('GROUPS', stream)).find((g) => g.name === group);
      return info?.lastDeliveredId ?? MIN_ENTRY_ID;
    } catch {
      return MIN_ENTRY_ID; // no stream yet: any entry is new
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.poll.close(), ...this.watchers.map((w) => w.close())]);
  }
}
