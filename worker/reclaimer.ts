import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
import { COUNTER, type StreamKeys } from '../shared/redis/keys.ts';
import type { RawEntry } from './blocking-reader.ts';
import { deadLetter } from './completion.ts';
import type { WorkerOptions } from './config.ts';
import type { WorkerMetrics } from './metrics.ts';

type AutoClaimReply = [Buffer, ([Buffer, Buffer[] | null] | null)[], Buffer[]?];
type PendingRow = [string, string, number, number];

/**
 * Takes over entries that have been pending longer than claimIdleMs (their consumer crashed, hung or
 * gave up after a transient failure) with XAUTOCLAIM, looks up each entry's delivery count, dead-letters
 * entries delivered more than maxDeliveries times and hands the rest to the worker.
 *
 * Redis 7 returns entries that were deleted or trimmed while pending in a third element (and drops them from
 * the PEL itself); they are counted, never processed. Redis 6.2 returns them as nil entries: those are
 * acknowledged here so they do not stay pending forever.
 */
export class Reclaimer {
  private cursor = '0-0';

  constructor(
    private readonly redis: Redis,
    private readonly keys: StreamKeys,
    private readonly group: string,
    private readonly options: WorkerOptions,
    private readonly metrics: WorkerMetrics,
    private readonly logger: Logger,
  ) {}

  /** Claims up to `max` idle entries; returns how many were handed on or dead-lettered. */
  async runOnce(max: number, handle: (entry: RawEntry, deliveries: number) => void): Promise<number> {
    const o = this.options;
    const reply = (await this.redis.callBuffer(
      'XAUTOCLAIM',
      this.keys.frames,
      this.group,
      o.consumer,
      o.claimIdleMs,
      this.cursor,
      'COUNT',
      max,
    )) as unknown as AutoClaimReply;
    this.cursor = reply[0].toString('latin1');
    const deleted = reply[2] ?? [];
    if (deleted.length > 0) {
      this.metrics.reclaimDeleted.inc(deleted.length);
      this.logger.warn(
        { count: deleted.length, first: deleted[0]?.toString('latin1') },
        'pending entries no longer exist in the stream (trimmed or deleted); Redis dropped them from the PEL',
      );
    }
    const claimed: RawEntry[] = [];
    const gone: string[] = [];
    for (const item of reply[1]) {
      if (!item) continue;
      const [idBuf, fields] = item;
      const id = idBuf.toString('latin1');
      if (fields === null) gone.push(id);
      else claimed.push({ id, fields });
    }
    if (gone.length > 0) {
      await this.redis.xack(this.keys.frames, this.group, ...gone);
      this.metrics.reclaimDeleted.inc(gone.length);
    }
    if (claimed.length === 0) return 0;
    this.metrics.reclaimed.inc(claimed.length);
    await this.redis.hincrby(this.keys.counters, COUNTER.reclaimed, claimed.length);

    const deliveries = await this.deliveryCounts(claimed);
    for (const entry of claimed) {
      const n = deliveries.get(entry.id) ?? 1;
      if (n > o.maxDeliveries) {
        const error = `delivered ${n} times without completing (more than WORKER_MAX_DELIVERIES=${o.maxDeliveries}); the workers processing it crashed, hung or were stopped`;
        try {
          const r = await deadLetter(
            this.redis,
            this.keys,
            this.group,
            { frameId: entry.id, error, stage: 'reclaim', deliveries: n, worker: o.consumer },
            o.dlqMaxLen,
          );
          if (r.acked) {
            this.metrics.deadLettered.inc({ stage: 'reclaim' });
            this.logger.warn(
              { frame: entry.id, deliveries: n },
              'frame dead-lettered after too many deliveries',
            );
          }
        } catch (err) {
          this.logger.warn({ err, frame: entry.id }, 'could not dead-letter frame; it stays pending');
        }
        continue;
      }
      this.logger.info({ frame: entry.id, deliveries: n }, 'reclaimed idle frame');
      handle(entry, n);
    }
    return claimed.length;
  }

  /** Delivery counts of just-claimed entries (now owned by this consumer), from one XPENDING range call. */
  private async deliveryCounts(entries: RawEntry[]): Promise<Map<string, number>> {
    const ids = entries.map((e) => e.id);
    const rows = (await this.redis.xpending(
      this.keys.frames,
      this.group,
      ids[0]!,
      ids[ids.length - 1]!,
      ids.length + 1000,
      this.options.consumer,
    )) as PendingRow[];
    const out = new Map<string, number>();
    for (const row of rows) out.set(String(row[0]), Number(row[3]));
    for (const id of ids) {
      if (out.has(id)) continue;
      const one = (await this.redis.xpending(this.keys.frames, this.group, id, id, 1)) as PendingRow[];
      if (one[0]) out.set(id, Number(one[0][3]));
    }
    return out;
  }
}
