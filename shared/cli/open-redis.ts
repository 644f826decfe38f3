import type { RedisClient } from '../redis/connection.ts';
import { EnvReader } from '../config/env-reader.ts';
import { type RedisConfig, readRedisConfig } from '../config/redis-config.ts';
import { type ConnectionRole, closeRedis, createRedis, waitReady } from '../redis/connection.ts';
import type { StreamKeys } from '../redis/keys.ts';
import { type Partitions, partitionsOf } from '../redis/partitions.ts';

/**
 * Opens a connection for a command and waits until it is ready (REDIS_UNAVAILABLE naming REDIS_URL after
 * the connect timeout); on failure the connection is closed. Role `producer` (fail fast) by default.
 */
export async function openRedis(
  config: RedisConfig,
  opts: { name: string; role?: ConnectionRole },
): Promise<RedisClient> {
  const redis = createRedis(config, opts.role ?? 'producer', { name: opts.name });
  try {
    await waitReady(redis, config.connectTimeoutMs + 1000);
  } catch (err) {
    await closeRedis(redis);
    throw err;
  }
  return redis;
}

/** Reads REDIS_URL / LPR_PREFIX / LPR_PARTITIONS from `env` (one pass) and opens a ready connection for an operator command. */
export async function openOperatorRedis(
  env: NodeJS.ProcessEnv,
  opts: { name: string; role?: ConnectionRole },
): Promise<{ redis: RedisClient; keys: StreamKeys; parts: Partitions; config: RedisConfig }> {
  const r = new EnvReader(env);
  const config = readRedisConfig(r);
  r.finish();
  const redis = await openRedis(config, opts);
  const parts = partitionsOf(config);
  return { redis, keys: parts.global, parts, config };
}
