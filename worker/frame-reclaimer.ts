import type { RedisClient } from '../shared/redis/connection.ts';
import type { Logger } from '../shared/logger.ts';
import { COUNTER, type StreamKeys } from '../shared/redis/keys.ts';
import { Reclaimer } from '../shared/redis/stream/index.ts';
import { deadLetter } from './completion.ts';
import type { WorkerOptions } from './config.ts';
import type { WorkerMetrics } from './metrics.ts';

/**
 * The worker's use of the shared Reclaimer on the frames stream: counts reclaims (metrics and the
 * counters hash) and dead-letters frames delivered more than WORKER_MAX_DELIVERIES times through the
 * deadLetter script (stage `reclaim`).
 */
export function createFrameReclaimer(deps: {
  redis: RedisClient;
  keys: StreamKeys;
  group: string;
  options: WorkerOptions;
  metrics: WorkerMetrics;
  logger: Logger;
}): Reclaimer {
  const { redis, keys, group, options: o, metrics, logger } = deps;
  return new Reclaimer({
    redis,
    stream: keys.frames,
    group,
    consumer: o.consumer,
    minIdleMs: o.claimIdleMs,
    logger,
    hooks: {
      onGone: (count) => metrics.reclaimDeleted.inc(count),
      onClaimed: async (entries) => {
        metrics.reclaimed.inc(entries.length);
        await redis.hincrby(keys.counters, COUNTER.reclaimed, entries.length);
      },
    },
    deadLetters: {
      maxDeliveries: o.maxDeliveries,
      async deadLetter(entry) {
        const n = entry.deliveries;
        const error = `delivered ${n} times without completing (more than WORKER_MAX_DELIVERIES=${o.maxDeliveries}); the workers processing it crashed, hung or were stopped`;
        const r = await deadLetter(redis, keys, group, {
          frameId: entry.id,
          error,
          stage: 'reclaim',
          deliveries: n,
          worker: o.consumer,
          dlqMaxLen: o.dlqMaxLen,
          dlqMaxBytes: o.dlqMaxBytes,
        });
        if (r.acked) {
          metrics.deadLettered.inc({ stage: 'reclaim' });
          logger.warn({ frame: entry.id, deliveries: n }, 'frame dead-lettered after too many deliveries');
        }
      },
    },
  });
}
