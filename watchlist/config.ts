import { redactUrl } from '../shared/redact-url.ts';

/** The URL with its credentials hidden, for messages and logs (the one helper in shared/). */
export { redactUrl };
import { deepFreeze, type EnvReader } from '../shared/config/env-reader.ts';

/** Options of the watchlist store and its cache-aside lookup. */
export interface WatchlistConfig {
  /** PostgreSQL connection URL (DATABASE_URL). Undefined: enrichment is off and lookups are never made. */
  databaseUrl: string | undefined;
  /** Client-side deadline of one lookup query; past it the answer is "unknown" (ms). */
  queryTimeoutMs: number;
  /** How long to wait for a new database connection (ms). */
  connectTimeoutMs: number;
  /** Connections in the lookup pool. */
  poolSize: number;
  /** How long a positive answer stays in Redis (ms); never beyond the entry's own expiry. */
  hitTtlMs: number;
  /** How long a negative answer ("not on the watchlist") stays in Redis (ms). */
  missTtlMs: number;
  /** Edit distance accepted for a fuzzy match (0 turns fuzzy matching off). */
  fuzzyDistance: number;
  /** Lifetime of the cross-process fill lock; longer than the query timeout (ms). */
  fillLockMs: number;
  /** Hard upper bound of one lookup, whatever happens (ms); past it the answer is "unknown". */
  lookupDeadlineMs: number;
  /** After a database failure, answer "unknown" without asking it for this long, then probe again (ms). */
  retryAfterMs: number;
  /** Entries in the in-process cache in front of Redis (0 turns it off). */
  localCacheSize: number;
  /** Longest time an answer stays in the in-process cache (ms); changes also clear it at once via pub/sub. */
  localCacheTtlMs: number;
  /** At most one "database unavailable" log line per this interval (ms). */
  logIntervalMs: number;
}

export const WATCHLIST_DEFAULTS: WatchlistConfig = {
  databaseUrl: undefined,
  queryTimeoutMs: 300,
  connectTimeoutMs: 1000,
  poolSize: 4,
  hitTtlMs: 10 * 60_000,
  missTtlMs: 60_000,
  fuzzyDistance: 1,
  fillLockMs: 500,
  lookupDeadlineMs: 1000,
  retryAfterMs: 1000,
  localCacheSize: 10_000,
  localCacheTtlMs: 5000,
  logIntervalMs: 10_000,
};

export function readWatchlistConfig(r: EnvReader): WatchlistConfig {
  const d = WATCHLIST_DEFAULTS;
  const databaseUrl = r.optionalString('DATABASE_URL');
  if (databaseUrl !== undefined) {
    const problem = checkDatabaseUrl(databaseUrl);
    if (problem) r.problem('DATABASE_URL', problem);
  }
  const queryTimeoutMs = r.int('WATCHLIST_QUERY_TIMEOUT_MS', d.queryTimeoutMs, { min: 10, max: 60_000 });
  return deepFreeze({
    databaseUrl,
    queryTimeoutMs,
    connectTimeoutMs: r.int('WATCHLIST_CONNECT_TIMEOUT_MS', d.connectTimeoutMs, { min: 10, max: 60_000 }),
    poolSize: r.int('WATCHLIST_POOL_SIZE', d.poolSize, { min: 1, max: 100 }),
    hitTtlMs: r.int('WATCHLIST_HIT_TTL_MS', d.hitTtlMs, { min: 1000, max: 7 * 24 * 3600_000 }),
    missTtlMs: r.int('WATCHLIST_MISS_TTL_MS', d.missTtlMs, { min: 100, max: 24 * 3600_000 }),
    fuzzyDistance: r.int('WATCHLIST_FUZZY_DISTANCE', d.fuzzyDistance, { min: 0, max: 2 }),
    fillLockMs: Math.max(
      r.int('WATCHLIST_FILL_LOCK_MS', d.fillLockMs, { min: 20, max: 60_000 }),
      queryTimeoutMs + 50,
    ),
    lookupDeadlineMs: r.int('WATCHLIST_LOOKUP_DEADLINE_MS', d.lookupDeadlineMs, { min: 10, max: 60_000 }),
    retryAfterMs: r.int('WATCHLIST_RETRY_AFTER_MS', d.retryAfterMs, { min: 10, max: 600_000 }),
    localCacheSize: r.int('WATCHLIST_LOCAL_CACHE_SIZE', d.localCacheSize, { min: 0, max: 10_000_000 }),
    localCacheTtlMs: r.int('WATCHLIST_LOCAL_CACHE_TTL_MS', d.localCacheTtlMs, { min: 0, max: 3600_000 }),
    logIntervalMs: r.int('WATCHLIST_LOG_INTERVAL_MS', d.logIntervalMs, { min: 0, max: 3600_000 }),
  });
}

/** Returns what is wrong with a PostgreSQL URL, or undefined when it is fine. */
export function checkDatabaseUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${redactUrl(url)}" is not a URL; expected postgres://user:password@host:5432/database`;
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return `protocol "${u.protocol}" is not supported; use postgres:// or postgresql://`;
  }
  if (!u.hostname && !u.searchParams.get('host')) return 'the URL has no host';
  return undefined;
}
