import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/redis-config.ts';
import { PlatestreamError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { isClusterUrl, parseClusterUrl } from './cluster-url.ts';
import { isRedisError, isServerRefusal, REDIS_ERROR, redisErrorCode } from './reply-error.ts';

export type ConnectionRole = 'producer' | 'consumer' | 'blocking';

/**
 * A connection made by createRedis: a standalone `Redis`, or an ioredis `Cluster` when the configuration
 * names a Redis Cluster (REDIS_CLUSTER_NODES or a redis+cluster:// URL). Both speak the same commands; a
 * Cluster routes each to the master of its keys' slot (a command's keys must share one slot).
 */
export type RedisClient = Redis | Cluster;

/** Whether a connection is an ioredis Cluster client. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

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
 *
 * With a cluster URL (redis+cluster://, see readRedisConfig) the result is an ioredis Cluster with the same
 * per-role behaviour; it follows MOVED/ASK, and during a failover (CLUSTERDOWN, TRYAGAIN, a dead master)
 * it refreshes the slot map and retries for a while before the command fails (clusterRetryOptions).
 */
export function createRedis(
  config: RedisConfig,
  role: ConnectionRole,
  opts: { name?: string; logger?: Logger; lazyConnect?: boolean } = {},
): RedisClient {
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);
  const connectionName = opts.name ? `platestream:${opts.name}` : `platestream:${role}`;
  const common: RedisOptions = {
    connectionName,
    connectTimeout: config.connectTimeoutMs,
    // Named, not left to ioredis's defaults: RESP3 (HELLO 3; ioredis falls back to RESP2 on servers that
    // lack it) with the "legacy" reply mapping, which keeps RESP2 reply shapes, so the one parser of each
    // stream reply in shared/redis/stream/ reads both protocols (shared/test/resp-protocol.test.ts).
    // RESP3 was kept over `protocol: 2` because bench:ingest and bench:pipeline were no slower with it
    // (issue 15, figures in the README's benchmark notes); a "resp3" mapping would change every reply shape.
    protocol: 3,
    replyMapping: 'legacy',
  };
  const producer = role === 'producer';
  const roleOpts: RedisOptions = producer
    ? {
        maxRetriesPerRequest: 1,
        commandTimeout: config.commandTimeoutMs,
        // A write whose reply was lost in a reset must not be sent again (two entries for one frame):
        // the caller got an error and decides whether to retry.
        autoResendUnfulfilledCommands: false,
      }
    : { maxRetriesPerRequest: null };
  const redis: RedisClient = isClusterUrl(config.url)
    ? createCluster(config, producer, { ...common, ...roleOpts }, opts.lazyConnect ?? false)
    : new Redis({
        ...redisOptionsFromUrl(config.url),
        ...common,
        ...roleOpts,
        retryStrategy,
        lazyConnect: opts.lazyConnect ?? false,
        enableOfflineQueue: !producer,
      });
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

/**
 * How a Cluster client rides out a failover. A replica takes over about cluster-node-timeout (Redis default
 * 15 s) plus an election (~1 s) after its master died; meanwhile commands for that master's slots get
 * connection errors, then CLUSTERDOWN / MOVED once the replica wins. Each of those waits `retryDelayOn*` and
 * retries (up to maxRedirections times, refreshing the slot map), so consumer connections carry on by
 * themselves; producer connections (fail fast) give up sooner and the caller answers 503.
 */
export const CLUSTER_RETRY = {
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  retryDelayOnTryAgain: 100,
  retryDelayOnMoved: 0,
  /** Redirections and retries per command for consumers: 200 × ~200 ms ≈ 40 s, longer than a failover. */
  maxRedirectionsConsumer: 200,
  /** For producers: 16 × ~200 ms ≈ 3 s, then the caller's 503 / retry policy takes over. */
  maxRedirectionsProducer: 16,
  slotsRefreshTimeout: 2000,
  /** Periodic slot-map refresh, so a client that sends nothing to a failed master still learns of the change. */
  slotsRefreshInterval: 5000,
} as const;

function createCluster(
  config: RedisConfig,
  producer: boolean,
  nodeOptions: RedisOptions,
  lazyConnect: boolean,
): Cluster {
  const { nodes, nodeOptions: fromUrl } = parseClusterUrl(config.url);
  // Options a Cluster takes itself rather than per node (ClusterOptions.redisOptions omits them).
  const { retryStrategy: _r, enableOfflineQueue: _q, ...perNode } = { ...fromUrl, ...nodeOptions };
  const options: ClusterOptions = {
    // Every command to the master of its slot: replicas lag (asynchronous replication) and the pipeline
    // reads what it just wrote.
    scaleReads: 'master',
    enableReadyCheck: true,
    enableOfflineQueue: !producer,
    lazyConnect,
    clusterRetryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    retryDelayOnFailover: CLUSTER_RETRY.retryDelayOnFailover,
    retryDelayOnClusterDown: CLUSTER_RETRY.retryDelayOnClusterDown,
    retryDelayOnTryAgain: CLUSTER_RETRY.retryDelayOnTryAgain,
    retryDelayOnMoved: CLUSTER_RETRY.retryDelayOnMoved,
    maxRedirections: producer ? CLUSTER_RETRY.maxRedirectionsProducer : CLUSTER_RETRY.maxRedirectionsConsumer,
    slotsRefreshTimeout: CLUSTER_RETRY.slotsRefreshTimeout,
    slotsRefreshInterval: CLUSTER_RETRY.slotsRefreshInterval,
    redisOptions: perNode,
  };
  return new Cluster(nodes, options);
}

/** Maps ioredis connection failures to REDIS_UNAVAILABLE; leaves other errors (script errors, WRONGTYPE) alone. */
export function asRedisError(err: unknown, what: string): Error {
  if (err instanceof PlatestreamError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  // Server refusals are matched by their reply code; the rest are ioredis / socket failures, which carry no code.
  if (
    isServerRefusal(err) ||
    (redisErrorCode(err) === undefined &&
      (/Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Command timed out|MaxRetriesPerRequest|EPIPE|max retries/i.test(
        msg,
      ) ||
        // ioredis Cluster during a failover or while it cannot reach any node.
        /Too many Cluster redirections|None of startup nodes is available|Cluster is disconnect|Node is disconnected|Failed to refresh slots cache/i.test(
          msg,
        )))
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
export async function closeRedis(redis: RedisClient): Promise<void> {
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
export function waitReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new PlatestreamError(
          'REDIS_UNAVAILABLE',
          `Redis did not become ready within ${timeoutMs} ms (status ${redis.status}); check REDIS_URL (or REDIS_CLUSTER_NODES) and that the server is up`,
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
