import type { Redis } from 'ioredis';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import type { Logger } from '../shared/logger.ts';
import { createRedis } from '../shared/redis/connection.ts';

/**
 * The producer connection of ingest and `replay --to redis`: fails fast when Redis is down (producer role)
 * and auto-pipelines, so the XADDs of concurrent requests that arrive in one event-loop turn leave in one
 * socket write instead of one write each (fewer syscalls per frame; see bench/ingest.ts).
 */
export function createProducerConnection(
  config: RedisConfig,
  opts: { name: string; logger?: Logger },
): Redis {
  const redis = createRedis(config, 'producer', opts);
  redis.options.enableAutoPipelining = true;
  return redis;
}
