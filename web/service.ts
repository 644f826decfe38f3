import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../shared/redis/connection.ts';
import { handleSignals, once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { redactUrl } from '../watchlist/config.ts';
import { createPool, type Pool } from '../watchlist/db.ts';
import { WatchlistAdmin, WatchlistStore } from '../watchlist/index.ts';
import type { WatchlistAccess } from './admin-routes.ts';
import { buildWebApp, type WebContext } from './app.ts';
import type { WebConfig } from './config.ts';
import { LiveHub } from './live-hub.ts';
import { createWebMetrics } from './metrics.ts';

export interface WebService {
  app: FastifyInstance;
  ctx: WebContext;
  redis: RedisClient;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8090. */
  url: string;
  port: number;
  /** Ends live connections (reason shutting-down), stops the reader, closes Redis and PostgreSQL. Idempotent. */
  close(): Promise<void>;
  closed: Promise<void>;
}

/**
 * Starts the web service: a producer-role Redis connection for reads and writes, the one shared live
 * reader, the watchlist pool (when DATABASE_URL is set), the app, listen. With `signals` (the CLI),
 * SIGTERM/SIGINT run `close()` under the configured hard timeout.
 */
export async function startWeb(
  config: WebConfig,
  opts: { logger?: Logger; signals?: boolean } = {},
): Promise<WebService> {
  const logger = opts.logger ?? moduleLogger('web');
  const metrics = createWebMetrics({ defaultMetrics: opts.signals === true });
  const redis = createRedis(config.redis, 'producer', { name: 'web', logger });
  const parts = partitionsOf(config.redis);
  const keys = parts.global;
  const hub = new LiveHub({
    redis: config.redis,
    parts,
    blockMs: config.live.blockMs,
    logger,
    onReadError: () => metrics.liveReadErrors.inc(),
  });
  let pool: Pool | undefined;
  let watchlist: WatchlistAccess | undefined;
  if (config.watchlist.databaseUrl) {
    pool = createPool(
      {
        url: config.watchlist.databaseUrl,
        queryTimeoutMs: 30_000,
        connectTimeoutMs: config.watchlist.connectTimeoutMs * 5,
        max: 4,
        applicationName: 'platestream-web',
      },
      logger,
    );
    watchlist = {
      admin: new WatchlistAdmin(new WatchlistStore(pool), redis, keys),
      url: redactUrl(config.watchlist.databaseUrl),
    };
  }
  const { app, ctx } = await buildWebApp(config, { redis, hub, logger, metrics, watchlist });
  try {
    await waitReady(redis, config.redis.connectTimeoutMs * 2);
  } catch (err) {
    logger.warn({ err }, 'Redis is not reachable yet; API requests get 503 until it is');
  }
  hub.start();
  await hub.ready(config.redis.connectTimeoutMs * 2).catch((err: unknown) => {
    logger.warn({ err }, 'the live reader is not ready yet; it keeps trying');
  });
  if (config.auth.mode === 'open') {
    logger.warn('LPR_WEB_AUTH=open: every request is admin; use this only for local demos');
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  logger.info({ port, host: config.host, prefix: keys.prefix, watchlist: !!watchlist }, 'web listening');

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    ctx.startDraining();
    try {
      await runAll(
        [
          ['http server', () => app.close()],
          ['live reader', () => hub.close()],
          ['redis', () => closeRedis(redis)],
          ['postgres', async () => pool?.end()],
        ],
        logger,
      );
      logger.info('web stopped');
    } finally {
      resolveClosed();
    }
  });
  if (opts.signals) handleSignals(() => close(), { timeoutMs: config.shutdownTimeoutMs, logger });
  return {
    app,
    ctx,
    redis,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close,
    closed,
  };
}
