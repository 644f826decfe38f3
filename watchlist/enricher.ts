import type { Registry } from 'prom-client';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { isPlatestreamError } from '../shared/errors.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { moduleLogger, type Logger } from '../shared/logger.ts';
import { runAll } from '../shared/lifecycle.ts';
import type { WatchlistConfig } from './config.ts';
import { createPool } from './db.ts';
import { assertMigrated } from './migrate.ts';
import { WatchlistMetrics } from './metrics.ts';
import { WatchlistLookup } from './lookup.ts';
import { WatchlistStore } from './store.ts';

export interface EnricherOptions {
  redis: RedisConfig;
  watchlist: WatchlistConfig;
  logger?: Logger;
  /** Where to register the watchlist metrics (the process's /metrics registry). */
  registry?: Registry;
}

/**
 * Builds the worker's watchlist lookup, or returns undefined when DATABASE_URL is not set (enrichment off).
 * Start-up check: a reachable database whose schema lacks migrations is an error that says to run
 * `platestream db migrate`; an unreachable one is only a warning (lookups answer "unknown" until it is up).
 * `close()` on the returned lookup closes its pool and both Redis connections.
 */
export async function createEnricher(opts: EnricherOptions): Promise<WatchlistLookup | undefined> {
  const cfg = opts.watchlist;
  if (!cfg.databaseUrl) return undefined;
  const logger = opts.logger ?? moduleLogger('watchlist');
  const pool = createPool(
    {
      url: cfg.databaseUrl,
      queryTimeoutMs: cfg.queryTimeoutMs,
      connectTimeoutMs: cfg.connectTimeoutMs,
      max: cfg.poolSize,
      applicationName: 'platestream-watchlist',
    },
    logger,
  );
  try {
    await assertMigrated(pool);
  } catch (err) {
    if (isPlatestreamError(err, 'DATABASE_NOT_MIGRATED')) {
      await pool.end().catch(() => {});
      throw err;
    }
    logger.warn(
      { err },
      'watchlist database not reachable at start-up; lookups answer "unknown" until it is',
    );
  }
  const redis = createRedis(opts.redis, 'producer', { name: 'watchlist', logger });
  const subscriber = createRedis(opts.redis, 'consumer', { name: 'watchlist-sub', logger });
  const lookup = new WatchlistLookup({
    store: new WatchlistStore(pool),
    redis,
    subscriber,
    keys: new StreamKeys(opts.redis.prefix),
    config: cfg,
    logger,
    metrics: new WatchlistMetrics(opts.registry),
    onClose: () =>
      runAll(
        [
          ['subscriber', () => closeRedis(subscriber)],
          ['redis', () => closeRedis(redis)],
          ['pool', () => pool.end()],
        ],
        logger,
      ),
  });
  await lookup.start();
  return lookup;
}
