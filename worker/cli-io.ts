import type { Redis } from 'ioredis';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { createRedis, waitReady } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';

/** Where an operator command reads its configuration and writes its output (tests pass their own). */
export interface CliIO {
  env: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const processIO = (): CliIO => ({ env: process.env, stdout: process.stdout, stderr: process.stderr });

/** Reads REDIS_URL / LPR_PREFIX and opens a fail-fast connection for a one-shot operator command. */
export async function openOperatorRedis(env: NodeJS.ProcessEnv): Promise<{ redis: Redis; keys: StreamKeys }> {
  const r = new EnvReader(env);
  const config = readRedisConfig(r);
  r.finish();
  const redis = createRedis(config, 'producer', { name: 'cli', lazyConnect: false });
  try {
    await waitReady(redis, config.connectTimeoutMs + 1000);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return { redis, keys: new StreamKeys(config.prefix) };
}
