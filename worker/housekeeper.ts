import type { Redis } from 'ioredis';
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
  redis: Redis;
  keys: StreamKeys;
  /** The workers' consumer group (its consumers are the ones removed when idle). */
  group: string;
  /** The housekeeping lease: only its holder acts, and its value fences every write. */
  lock: LeaseLock;
  /** A consumer idle this long that owns no pending entry is removed. */
  consumerIdleMs: number;
  /** Acknowledged frames are kept this long (ms) so they can still be annotated; unset or 0 trims them at once. */
  frameRetentionMs?: number;
  metrics?: WorkerMetrics;
  logger?: Logger;
}

/**
 * Trims the frames stream below the oldest entry any group still needs and removes long-idle consumers
 * that own nothing. Only the holder of the housekeeping lease acts, and every write is fenced by the
 * lease value inside its script.
 */
export class Housekeeper {
  private readonly redis: Redis;
  private readonly keys: StreamKeys;
  private readonly group: string;
  private readonly lock: LeaseLock;
  private readonly opts: { consumerIdleMs: number; frameRetentionMs?: number };
  private readonly metrics?: WorkerMetrics;
  private readonly logger?: Logger;

  constructor(o: HousekeeperOptions) {
    this.redis = o.redis;
    this.keys = o.keys;
    this.group = o.group;
    this.lock = o.lock;
    this.opts = { consumerIdleMs: o.consumerIdleMs, frameRetentionMs: o.frameRetentionMs };
    this.metrics = o.metrics;
    this.logger = o.logger;
  }

  async runOnce(): Promise<HousekeepingReport> {
    const lease = await this.lock.acquireOrRenew();
    this.metrics?.leader.set(lease ? 1 : 0);
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
    return { leader: true, trimmed: Number(trimmed), minId: String(minId), removed };
  }

  async release(): Promise<void> {
    await this.lock.release();
    this.metrics?.leader.set(0);
  }
}
