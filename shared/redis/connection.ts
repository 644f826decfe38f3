import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/redis-config.ts';
import { PlatestreamError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { isRedisError, isServerRefusal, REDIS_ERROR, redisErrorCode } from './reply-error.ts';

export type ConnectionRole = 'producer' | 'consumer' | 'blocking';

/** Turns a redis:// or rediss:// URL into ioredis options (TLS, ACL user, password, db). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  const opts: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    db: db ? Number(db) : 0,
  };
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') {
    opts.tls = { servername: opts.host };
    if (u.searchParams.get('insecure') === 'true') opts.tls.rejectUnauthorized = false;
  }
  return opts;
}

/**
 * Creates a connection for one role.
 * - producer: fails fast when Redis is down (no offline queue, one retry per command, command timeout),
 *   and keeps reconnecting in the background so it recovers by itself.
 * - consumer: for non-blocking commands of long-running workers: queues while reconnecting, retries forever.
 * - blocking: for XREADGROUP BLOCK and friends; own socket, retries forever. Callers must guard it with a
 *   watchdog (see BlockingReader) because ioredis re-sends blocking commands after a reconnect.
 */
export function createRedis(
  config: RedisConfig,
  role: ConnectionRole,
  opts: { name?: string; logger?: Logger; lazyConnect?: boolean } = {},
): Redis {
  const base = redisOptionsFromUrl(config.url);
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);
  const common: RedisOptions = {
    ...base,
    connectionName: opts.name ? `platestream:${opts.name}` : `platestream:${role}`,
    connectTimeout: config.connectTimeoutMs,
    retryStrategy,
    lazyConnect: opts.lazyConnect ?? false,
    // Named, not left to ioredis's defaults: RESP3 (HELLO 3; ioredis falls back to RESP2 on servers that
    // lack it) with the "legacy" reply mapping, which keeps RESP2 reply shapes, so the one parser of each
    // stream reply in shared/redis/stream/ reads both protocols (shared/test/resp-protocol.test.ts).
    // RESP3 was kept over `protocol: 2` because bench:ingest and bench:pipeline were no slower with it
    // (issue 15, figures in the README's benchmark notes); a "resp3" mapping would change every reply shape.
    protocol: 3,
    replyMapping: 'legacy',
  };
  const roleOpts: RedisOptions =
    role === 'producer'
      ? {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: config.commandTimeoutMs,
          // A write whose reply was lost in a reset must not be sent again (two entries for one frame):
          // the caller got an error and decides whether to retry.
          autoResendUnfulfilledCommands: false,
        }
      : { enableOfflineQueue: true, maxRetriesPerRequest: null };
  const redis = new Redis({ ...common, ...roleOpts });
  // An 'error' listener is required or ioredis prints unhandled errors; log at most one per state change.
  let lastMessage = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastMessage) {
      lastMessage = err.message;
      opts.logger?.warn({ err, role }, 'redis connection error');
    }
  });
  redis.on('ready', () => {
    if (lastMessage) opts.logger?.info({ role }, 'redis connection restored');
    lastMessage = '';
  });
  return redis;
}

/** Maps ioredis connection failures to REDIS_UNAVAILABLE; leaves other errors (script errors, WRONGTYPE) alone. */
export function asRedisError(err: unknown, what: string): Error {
  if (err instanceof PlatestreamError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  // Server refusals are matched by their reply code; the rest are ioredis / socket failures, which carry no code.
  if (
    isServerRefusal(err) ||
    (redisErrorCode(err) === undefined &&
      /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Command timed out|MaxRetriesPerRequest|EPIPE|max retries/i.test(
        msg,
      ))
  ) {
    return new PlatestreamError(
      'REDIS_UNAVAILABLE',
      isRedisError(err, REDIS_ERROR.OOM)
        ? `Redis is full (used memory above maxmemory) while ${what}. Workers' housekeeping trims acknowledged frames and this recovers by itself; if it lasts, add workers, raise maxmemory or lower LPR_STREAM_MEMORY_BUDGET. Retry later.`
        : `Redis is unavailable while ${what}: ${msg}. Retry later.`,
      {
        cause: err,
      },
    );
  }
  return err instanceof Error ? err : new Error(msg);
}

/** Quits politely, disconnecting hard when QUIT cannot be sent (Redis down). Never throws. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    if (redis.status === 'ready') {
      await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  } catch {
    // fall through to disconnect
  }
  redis.disconnect(false);
  // While reconnecting, ioredis keeps queued commands (offline queue) and never settles them after
  // disconnect(): fail them so nothing awaits a closed connection forever.
  const flush = (redis as unknown as { flushQueue?: (err: Error) => void }).flushQueue;
  flush?.call(redis, new Error('Connection is closed (platestream closed it).'));
}

/**
 * Resolves once the connection is ready. Producers need this at start-up: with no offline queue, commands
 * sent before the first connect fail at once.
 */
export function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new PlatestreamError(
          'REDIS_UNAVAILABLE',
          `Redis did not become ready within ${timeoutMs} ms (status ${redis.status}); check REDIS_URL and that the server is up`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
