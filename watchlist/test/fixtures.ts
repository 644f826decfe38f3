import type { RedisClient } from '../../shared/redis/connection.ts';
import { closeRedis, createRedis, waitReady } from '../../shared/redis/connection.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { silentLogger, type TestPostgres, type TestRedis } from '../../test/harness/index.ts';
import { WatchlistAdmin } from '../admin.ts';
import { WATCHLIST_DEFAULTS, type WatchlistConfig } from '../config.ts';
import { createPool } from '../db.ts';
import type { EntryInput } from '../entry.ts';
import { WatchlistLookup } from '../lookup.ts';
import { migrate } from '../migrate.ts';
import { WatchlistStore } from '../store.ts';

/** A fresh migrated database with an admin (writes + invalidation) on a fresh Redis prefix. */
export async function freshWatchlist(pgt: TestPostgres, t: TestRedis) {
  const url = await pgt.createDatabase('wl');
  const pool = createPool({ url, queryTimeoutMs: 5000, connectTimeoutMs: 2000, max: 2 });
  await migrate(pool);
  const redisConfig = t.config();
  const redis = createRedis(redisConfig, 'producer');
  await waitReady(redis, 5000);
  const keys = new StreamKeys(redisConfig.prefix);
  const admin = new WatchlistAdmin(new WatchlistStore(pool), redis, keys);
  const lookups: WatchlistLookup[] = [];
  return {
    url,
    pool,
    redis,
    keys,
    redisConfig,
    admin,
    /** A lookup as one worker process would have it: own pool, own Redis connections. */
    async lookup(overrides: Partial<WatchlistConfig> = {}, opts: { subscriber?: boolean } = {}) {
      const config: WatchlistConfig = { ...WATCHLIST_DEFAULTS, databaseUrl: url, ...overrides };
      const lpool = createPool({
        url,
        queryTimeoutMs: config.queryTimeoutMs,
        connectTimeoutMs: config.connectTimeoutMs,
        max: 4,
      });
      const lredis = createRedis(redisConfig, 'producer');
      await waitReady(lredis, 5000);
      const sub: RedisClient | undefined =
        opts.subscriber === false ? undefined : createRedis(redisConfig, 'consumer');
      const store = new WatchlistStore(lpool);
      const l = new WatchlistLookup({
        store,
        redis: lredis,
        subscriber: sub,
        keys,
        config,
        logger: silentLogger,
        onClose: async () => {
          if (sub) await closeRedis(sub);
          await closeRedis(lredis);
          await lpool.end();
        },
      });
      await l.start();
      lookups.push(l);
      return { lookup: l, store, pool: lpool };
    },
    async close() {
      await Promise.all(lookups.map((l) => l.close()));
      await closeRedis(redis);
      await pool.end();
      await t.cleanup(redisConfig.prefix);
    },
  };
}

export function entry(plate: string, more: Partial<EntryInput> = {}): EntryInput {
  return { plate, label: `watch ${plate}`, expiresAt: null, webhook: null, ...more };
}
