import { type Env, EnvReader } from '../shared/config/env-reader.ts';
import { type RedisConfig, readRedisConfig } from '../shared/config/redis-config.ts';
import { readWatchlistConfig, type WatchlistConfig } from './config.ts';
import { createPool, type Pool } from './db.ts';

/** Configuration shared by the watchlist and db commands; DATABASE_URL is required here. */
export function readCliConfig(env: Env): {
  redis: RedisConfig;
  watchlist: WatchlistConfig;
  databaseUrl: string;
} {
  const r = new EnvReader(env);
  const redis = readRedisConfig(r);
  const watchlist = readWatchlistConfig(r);
  if (!watchlist.databaseUrl)
    r.problem(
      'DATABASE_URL',
      'is not set; e.g. DATABASE_URL=postgres://user:password@localhost:5432/platestream',
    );
  r.finish();
  return { redis, watchlist, databaseUrl: watchlist.databaseUrl! };
}

/** A pool for one-off commands: generous deadlines (imports may be large). */
export function cliPool(url: string): Pool {
  return createPool({
    url,
    queryTimeoutMs: 120_000,
    connectTimeoutMs: 5000,
    max: 2,
    applicationName: 'platestream-cli',
  });
}
