import type { RedisClient } from '../shared/redis/connection.ts';
import { type AgeLimits, reapplyErasures } from '../privacy/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import type { LeaseLock } from '../shared/redis/lease-lock.ts';
import { runScript } from '../shared/redis/scripts.ts';
import type { WorkerMetrics } from './metrics.ts';

export interface HousekeepingReport {
  leader: boolean;
  /** Frames trimmed this round. */
  trimmed: number;
  /** MINID used for the trim ('' when nothing was computed). */
  minId: string;
  /** Consumers removed this round. */
  removed: string[];
}

export interface HousekeeperOptions {
  redis: RedisClient;
  keys: StreamKeys;
  /** The workers' consumer group (its consumers are the ones removed when idle). */
  group: string;
  /** The housekeeping lease: only its holder acts, and its value fences every write. */
  lock: LeaseLock;
  /** A consumer idle this long that owns no pending entry is removed. */
  consumerIdleMs: number;
  /** Acknowledged frames are kept this long (ms) so they can still be annotated; unset or 0 trims them at once. */
  frameRetentionMs?: number;
  /** Age limits of the DLQ, alerts and events (0 = none); trimmed by MINID each round (see docs/privacy.md). */
  ageLimits?: AgeLimits;
  metrics?: WorkerMetrics;
  /** Told after each round whether this process holds the lease (default: sets the leader gauge to 1 / 0). */
  onLeader?: (held: boolean) => void;
  logger?: Logger;
}

/**
 * Trims the frames stream below the oldest entry any group still needs and removes long-idle consumers
 * that own nothing. Only the holder of the housekeeping lease acts, and every write is fenced by the
 * lease value inside its script.
 */
export class Housekeeper {
  private readonly redis: RedisClient;
  private readonly keys: StreamKeys;
  private readonly group: string;
  private readonly lock: LeaseLock;
  private readonly opts: { consumerIdleMs: number; frameRetentionMs?: number; ageLimits?: AgeLimits };
  private readonly metrics?: WorkerMetrics;
  private readonly onLeader: (held: boolean) => void;
  private readonly logger?: Logger;

  constructor(o: HousekeeperOptions) {
    this.redis = o.redis;
    this.keys = o.keys;
    this.group = o.group;
    this.lock = o.lock;
    this.opts = {
      consumerIdleMs: o.consumerIdleMs,
      frameRetentionMs: o.frameRetentionMs,
      ageLimits: o.ageLimits,
    };
    this.metrics = o.metrics;
    this.onLeader = o.onLeader ?? ((held) => this.metrics?.leader.set(held ? 1 : 0));
    this.logger = o.logger;
  }

  async runOnce(): Promise<HousekeepingReport> {
    const lease = await this.lock.acquireOrRenew();
    this.onLeader(lease !== undefined);
    if (!lease) return { leader: false, trimmed: 0, minId: '', removed: [] };

    const [trimmed, minId] = await runScript<[number, string]>(
      this.redis,
      'trimFrames',
      [this.keys.housekeepingLock, this.keys.frames],
      [lease.value, this.opts.frameRetentionMs ? `${Date.now() - this.opts.frameRetentionMs}-0` : '0-0'],
    );
    if (Number(trimmed) < 0) throw this.lock.lost('trimming frames');
    if (Number(trimmed) > 0) {
      this.metrics?.trimmed.inc(Number(trimmed));
      this.logger?.debug({ trimmed: Number(trimmed), minId }, 'trimmed acknowledged frames');
    }

    const removed = await runScript<string[] | number>(
      this.redis,
      'removeIdleConsumers',
      [this.keys.housekeepingLock, this.keys.frames],
      [lease.value, this.group, this.opts.consumerIdleMs],
    );
    if (removed === -1 || !Array.isArray(removed)) throw this.lock.lost('removing idle consumers');
    if (removed.length > 0) {
      this.metrics?.consumersRemoved.inc(removed.length);
      this.logger?.info({ consumers: removed }, 'removed idle consumers with no pending entries');
    }
    await this.trimByAge();
    return { leader: true, trimmed: Number(trimmed), minId: String(minId), removed };
  }

  /**
   * Age limits (privacy): XTRIM MINID (exact) of the DLQ, alerts and events streams, the events per-plate
   * index by its time scores, and the oldest-entry age gauge per stream. Idempotent, so it needs no fencing.
   */
  private async trimByAge(): Promise<void> {
    const now = Date.now();
    const k = this.keys;
    const a = this.opts.ageLimits;
    if (a) {
      for (const [kind, key, ms] of [
        ['dlq', k.dlq, a.dlqRetentionMs],
        ['alerts', k.alerts, a.alertsRetentionMs],
        ['events', k.events, a.eventsRetentionMs],
      ] as const) {
        if (ms <= 0) continue;
        const n = await this.redis.xtrim(key, 'MINID', `${now - ms}-0`);
        if (n > 0) this.metrics?.trimmedByAge.inc({ kind }, n);
      }
      if (a.eventsRetentionMs > 0) {
        const old = await this.redis.zrangebyscore(
          k.eventsByTime,
          '-inf',
          `(${now - a.eventsRetentionMs}`,
          'LIMIT',
          0,
          1000,
        );
        if (old.length)
          await this.redis
            .multi()
            .zrem(k.eventsByPlate, ...old)
            .zrem(k.eventsByTime, ...old)
            .exec();
      }
    }
    // Erasures of the last LPR_ERASE_WINDOW_MS: reads of those plates that landed since are erased too.
    const erased = await reapplyErasures(this.redis, k, now);
    if (erased > 0) this.logger?.info({ items: erased }, 'erased reads that landed after an erasure');
    if (!this.metrics) return;
    for (const [kind, key] of [
      ['frames', k.frames],
      ['results', k.results],
      ['dlq', k.dlq],
      ['alerts', k.alerts],
      ['events', k.events],
    ] as const) {
      const first = (await this.redis.xrange(key, '-', '+', 'COUNT', 1)) as [string, string[]][];
      const ms = first[0] ? Number(first[0][0].split('-')[0]) : now;
      this.metrics.oldestAge.set({ kind }, Math.max(0, now - ms) / 1000);
    }
  }

  async release(): Promise<void> {
    await this.lock.release();
    this.onLeader(false);
  }
}
