import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { REDIS_DEFAULTS, type RedisConfig } from '../../shared/config/redis-config.ts';
import { deleteKeysOfPrefix } from '../../shared/redis/delete-prefix.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { RedisServerProcess, type RedisServerOptions } from '../../shared/redis/local-redis-server.ts';

/** A Redis for one test file: its own redis-server when the binary exists, else the run's shared one. */
export interface TestRedis {
  url: string;
  /** The private server process, when this file owns one (needed for kill/restart tests). */
  server: RedisServerProcess | undefined;
  /** A plain client for assertions; closed by `close()`. */
  client: Redis;
  /** A RedisConfig pointing at this server with a fresh unique prefix. */
  config(prefix?: string): RedisConfig;
  /** Deletes every key of a prefix (SCAN + UNLINK). */
  cleanup(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** A unique key prefix per test, so tests never see each other's keys even on a shared server. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

export function canOwnServer(): boolean {
  return inject('redisMode') === 'binary';
}

export async function useRedis(
  opts: RedisServerOptions & { requireOwnServer?: boolean } = {},
): Promise<TestRedis> {
  let server: RedisServerProcess | undefined;
  let url: string;
  if (canOwnServer()) {
    server = await RedisServerProcess.start(opts);
    url = server.url;
  } else {
    if (opts.requireOwnServer) {
      throw new Error(
        'this test needs a private redis-server it can kill; install redis-server or unset REDIS_URL',
      );
    }
    url = inject('redisUrl');
  }
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  client.on('error', () => {});
  return {
    url,
    server,
    client,
    config(prefix = uniquePrefix()) {
      return { ...REDIS_DEFAULTS, url, prefix, connectTimeoutMs: 500, commandTimeoutMs: 1000 };
    },
    async cleanup(prefix: string) {
      await deleteKeysOfPrefix(client, new StreamKeys(prefix));
    },
    async close() {
      client.disconnect();
      await server?.destroy();
    },
  };
}
