import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../shared/redis/connection.ts';
import type { Logger } from '../shared/logger.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { runScript } from '../shared/redis/scripts.ts';
import { delay, withTimeout } from '../shared/util/wait.ts';
import type { WatchlistConfig } from './config.ts';
import { asDatabaseError } from './db.ts';
import { isExpired, type WatchlistEntry } from './entry.ts';
import { FuzzyIndex } from './fuzzy-index.ts';
import { LocalCache } from './local-cache.ts';
import { RateLimitedWarning } from '../shared/util/rate-limited-warning.ts';
import { WatchlistMetrics } from './metrics.ts';
import { normalisePlate, plateProblem } from '../shared/plate-text.ts';
import type { WatchlistStore } from './store.ts';

/** The answer for one read plate. `unknown`: the watchlist could not be asked in time; results go on. */
export type LookupResult =
  | {
      status: 'hit';
      entry: WatchlistEntry;
      /** True when the read plate differs from the entry's plate (within the configured edit distance). */
      fuzzy: boolean;
      /** Edit distance between the read plate and entry.plate (0 for an exact hit). */
      distance: number;
      /** The read plate, normalised. */
      plate: string;
    }
  | { status: 'miss' }
  | { status: 'unknown'; reason: 'database' | 'redis' | 'timeout' | 'internal' };

export type LookupHit = Extract<LookupResult, { status: 'hit' }>;

/** What is cached per plate: the entry, or null for "not on the watchlist", tagged with the generation. */
interface Cached {
  v: number;
  e: WatchlistEntry | null;
}

type Exact = { entry: WatchlistEntry | null } | { unknown: 'database' | 'redis' };

export interface WatchlistLookupDeps {
  store: WatchlistStore;
  /** A producer-role connection (fails fast when Redis is down). */
  redis: RedisClient;
  /**
   * Its own connection for pub/sub; without it the in-process cache is off (Redis answers every lookup).
   * The lookup subscribes and keeps it; close() closes it.
   */
  subscriber?: RedisClient;
  keys: StreamKeys;
  config: WatchlistConfig;
  logger?: Logger;
  metrics?: WatchlistMetrics;
  /** Extra cleanup run by close() (closing the pool and connections a factory made). */
  onClose?: () => Promise<void>;
}

export interface LookupStats {
  lookups: number;
  hits: number;
  fuzzyHits: number;
  misses: number;
  unknown: number;
  /** Answers taken from the in-process cache. */
  localHits: number;
  /** Answers taken from Redis. */
  redisHits: number;
  /** Queries sent to PostgreSQL by this lookup (fills + index loads). */
  dbQueries: number;
  /** Misses that waited for another process's fill instead of querying. */
  waitedForFill: number;
}

/**
 * Cache-aside watchlist lookup: in-process LRU → Redis → PostgreSQL.
 *
 * - Every answer (positive or negative) is stored in Redis with a TTL (negative answers shorter) and
 *   tagged with the watchlist generation; a change through the CLI bumps the generation, deletes the
 *   plate's key and publishes on a channel, so every process drops its in-process cache at once and
 *   older Redis answers are ignored.
 * - Concurrent misses for one plate cause one query: an in-flight map within the process, a short
 *   Redis fill lock (SET NX PX) across processes; the others poll the key until the filler wrote it.
 * - PostgreSQL failures and timeouts answer "unknown" at once and open a short breaker (no query for
 *   retryAfterMs), with a metric and a rate-limited warning; the next probe after that recovers.
 * - Fuzzy matching uses an in-process FuzzyIndex of active plates, rebuilt when the generation changes;
 *   a fuzzy candidate is then confirmed through the same exact path (so it is never stale).
 *
 * `lookup()` never throws.
 */
export class WatchlistLookup {
  readonly stats: LookupStats = {
    lookups: 0,
    hits: 0,
    fuzzyHits: 0,
    misses: 0,
    unknown: 0,
    localHits: 0,
    redisHits: 0,
    dbQueries: 0,
    waitedForFill: 0,
  };
  private generation = 0;
  private subscribed = false;
  private readonly local: LocalCache<Cached>;
  private readonly inflight = new Map<string, Promise<Exact>>();
  private index: { v: number; idx: FuzzyIndex } | undefined;
  private indexLoad: Promise<void> | undefined;
  private dbBlockedUntil = 0;
  private dbDown = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly metrics: WatchlistMetrics;
  private readonly warning: RateLimitedWarning;
  private readonly config: WatchlistConfig;

  constructor(private readonly deps: WatchlistLookupDeps) {
    this.config = deps.config;
    this.metrics = deps.metrics ?? new WatchlistMetrics();
    this.local = new LocalCache(deps.subscriber ? deps.config.localCacheSize : 0);
    this.warning = new RateLimitedWarning(deps.config.logIntervalMs, (obj, msg) =>
      deps.logger?.warn(obj, msg),
    );
  }

  /** The watchlist generation this process currently trusts. */
  get version(): number {
    return this.generation;
  }

  /**
   * Subscribes to change announcements, reads the current generation and loads the fuzzy index.
   * Never throws: with Redis or PostgreSQL down it starts anyway and answers "unknown" until they are back.
   */
  async start(): Promise<void> {
    const sub = this.deps.subscriber;
    if (sub) {
      sub.on('message', (channel: string, message: string) => {
        if (channel !== this.deps.keys.watchlistChannel) return;
        this.advance(Number(message));
        this.local.clear();
      });
      sub.on('ready', () => {
        // Announcements may have been missed while disconnected: resynchronise before trusting the LRU.
        void this.syncGeneration().then((ok) => {
          this.subscribed = ok;
        });
      });
      sub.on('close', () => {
        this.subscribed = false;
        this.local.clear();
      });
      try {
        await withTimeout(
          sub.subscribe(this.deps.keys.watchlistChannel),
          this.config.connectTimeoutMs * 2,
          'subscribe',
        );
        this.subscribed = await this.syncGeneration();
      } catch (err) {
        this.deps.logger?.warn(
          { err },
          'watchlist change channel not subscribed yet; in-process cache off until it is',
        );
      }
    } else {
      await this.syncGeneration();
    }
    // Wait a bounded time for the fuzzy index; a slow database finishes the load in the background.
    if (this.config.fuzzyDistance > 0)
      await Promise.race([this.refreshIndex(), delay(this.config.lookupDeadlineMs)]);
  }

  /** Looks one read plate up. Never throws and never takes longer than lookupDeadlineMs. */
  async lookup(rawPlate: string): Promise<LookupResult> {
    this.stats.lookups++;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<LookupResult>((resolve) => {
      timer = setTimeout(() => {
        // The work goes on in the background (and fills the cache); this frame just does not wait for it.
        this.metrics.unavailable.inc({ reason: 'timeout' });
        resolve({ status: 'unknown', reason: 'timeout' });
      }, this.config.lookupDeadlineMs);
    });
    try {
      return this.count(await Promise.race([this.answer(rawPlate), deadline]));
    } finally {
      clearTimeout(timer);
    }
  }

  private async answer(rawPlate: string): Promise<LookupResult> {
    try {
      const plate = normalisePlate(rawPlate);
      if (plateProblem(rawPlate)) return { status: 'miss' };
      const exact = await this.exact(plate);
      if ('unknown' in exact) return { status: 'unknown', reason: exact.unknown };
      if (exact.entry) return { status: 'hit', entry: exact.entry, fuzzy: false, distance: 0, plate };
      if (this.config.fuzzyDistance <= 0) return { status: 'miss' };
      return await this.fuzzy(plate);
    } catch (err) {
      this.deps.logger?.error({ err }, 'watchlist lookup failed unexpectedly');
      this.metrics.unavailable.inc({ reason: 'internal' });
      return { status: 'unknown', reason: 'internal' };
    }
  }

  private count(r: LookupResult): LookupResult {
    if (r.status === 'hit') {
      this.stats.hits++;
      if (r.fuzzy) this.stats.fuzzyHits++;
    } else if (r.status === 'miss') this.stats.misses++;
    else this.stats.unknown++;
    this.metrics.lookups.inc({ result: r.status === 'hit' && r.fuzzy ? 'fuzzy' : r.status });
    return r;
  }

  private async fuzzy(plate: string): Promise<LookupResult> {
    if (!this.index || this.index.v < this.generation) {
      const loading = this.refreshIndex();
      // With no index at all, wait for the first load (bounded by the query timeout); else use the old one.
      if (!this.index) await loading;
    }
    if (!this.index) return { status: 'unknown', reason: 'database' };
    for (const cand of this.index.idx.search(plate, this.config.fuzzyDistance)) {
      const exact = await this.exact(cand.plate);
      if ('unknown' in exact) return { status: 'unknown', reason: exact.unknown };
      if (exact.entry) {
        return { status: 'hit', entry: exact.entry, fuzzy: true, distance: cand.distance, plate };
      }
    }
    return { status: 'miss' };
  }

  /** Exact answer for one normalised plate: local cache, then Redis, then one shared fill. */
  private async exact(plate: string): Promise<Exact> {
    const now = Date.now();
    if (this.subscribed) {
      const c = this.local.get(plate, now);
      if (c && c.v >= this.generation) {
        this.stats.localHits++;
        return { entry: c.e && !isExpired(c.e, now) ? c.e : null };
      }
    }
    const pending = this.inflight.get(plate);
    if (pending) return pending;
    const p = this.fromRedisOrFill(plate).finally(() => this.inflight.delete(plate));
    this.inflight.set(plate, p);
    return p;
  }

  private async fromRedisOrFill(plate: string): Promise<Exact> {
    const { redis, keys } = this.deps;
    let cached: Cached | undefined;
    try {
      cached = this.fresh(await redis.get(keys.watchlistCache(plate)));
    } catch (err) {
      return this.redisFailed(err);
    }
    if (cached) {
      this.stats.redisHits++;
      this.remember(plate, cached);
      return { entry: cached.e && !isExpired(cached.e) ? cached.e : null };
    }
    return this.fill(plate);
  }

  /** Parses a cached value; undefined when absent, unreadable or of an older generation. */
  private fresh(raw: string | null): Cached | undefined {
    if (raw === null) return undefined;
    try {
      const c = JSON.parse(raw) as Cached;
      if (typeof c.v !== 'number' || c.v < this.generation) return undefined;
      // A newer generation than ours: an announcement is on its way; take it now.
      this.advance(c.v);
      return c;
    } catch {
      return undefined;
    }
  }

  private remember(plate: string, c: Cached): void {
    if (!this.subscribed) return;
    let ttl = this.config.localCacheTtlMs;
    if (c.e === null) ttl = Math.min(ttl, this.config.missTtlMs);
    else if (c.e.expiresAt) ttl = Math.min(ttl, Date.parse(c.e.expiresAt) - Date.now());
    this.local.set(plate, c, ttl);
  }

  /**
   * Fills the cache for one plate: takes the cross-process fill lock (or waits for the process holding it
   * and uses its answer), queries PostgreSQL once, writes the answer to Redis, releases the lock.
   */
  private async fill(plate: string): Promise<Exact> {
    const token = randomUUID();
    const lockKey = this.deps.keys.watchlistFill(plate);
    let lock: 'owned' | 'timed-out' | Exact;
    try {
      lock = await this.takeFillLock(plate, lockKey, token);
    } catch (err) {
      return this.redisFailed(err);
    }
    if (typeof lock !== 'string') return lock;
    try {
      return await this.queryAndCache(plate);
    } catch (err) {
      return this.redisFailed(err);
    } finally {
      // The lock outlives the query timeout, so it is normally still ours; the checked release never
      // deletes a lock another process took after ours expired.
      if (lock === 'owned') {
        runScript(this.deps.redis, 'lockRelease', [lockKey], [token]).catch(() => {});
      }
    }
  }

  /**
   * SET NX PX on the fill lock; while another process holds it, polls the cache for its answer (which is
   * returned) until fillLockMs. 'timed-out': the holder seems stuck, query anyway (bounded by the query
   * timeout).
   */
  private async takeFillLock(
    plate: string,
    lockKey: string,
    token: string,
  ): Promise<'owned' | 'timed-out' | Exact> {
    const { redis, keys } = this.deps;
    const deadline = Date.now() + this.config.fillLockMs;
    let pause = 2;
    for (let waited = false; ; waited = true) {
      if ((await redis.set(lockKey, token, 'PX', this.config.fillLockMs, 'NX')) === 'OK') return 'owned';
      if (!waited) this.stats.waitedForFill++;
      if (Date.now() >= deadline) return 'timed-out';
      await delay(pause);
      pause = Math.min(pause * 2, 25);
      const c = this.fresh(await redis.get(keys.watchlistCache(plate)));
      if (c) {
        this.remember(plate, c);
        return { entry: c.e && !isExpired(c.e) ? c.e : null };
      }
    }
  }

  /** Queries PostgreSQL (unless another process filled meanwhile) and caches the answer in Redis and here. */
  private async queryAndCache(plate: string): Promise<Exact> {
    const { redis, keys } = this.deps;
    const cacheKey = keys.watchlistCache(plate);
    // Double check: another process may have filled between our GET and our SET NX.
    const again = this.fresh(await redis.get(cacheKey));
    if (again) {
      this.stats.redisHits++;
      this.remember(plate, again);
      return { entry: again.e && !isExpired(again.e) ? again.e : null };
    }
    const generation = this.generation;
    const answer = await this.query(plate);
    if ('unknown' in answer) return answer;
    const c: Cached = { v: generation, e: answer.entry };
    let ttl = answer.entry ? this.config.hitTtlMs : this.config.missTtlMs;
    if (answer.entry?.expiresAt) ttl = Math.min(ttl, Date.parse(answer.entry.expiresAt) - Date.now());
    if (ttl > 0) await redis.set(cacheKey, JSON.stringify(c), 'PX', ttl);
    this.remember(plate, c);
    return answer;
  }

  private async query(plate: string): Promise<Exact> {
    if (Date.now() < this.dbBlockedUntil) {
      this.metrics.unavailable.inc({ reason: 'database' });
      return { unknown: 'database' };
    }
    this.stats.dbQueries++;
    this.metrics.dbQueries.inc();
    try {
      const entry = await this.deps.store.findActive(plate);
      this.dbRecovered();
      return { entry: entry ?? null };
    } catch (err) {
      this.dbFailed(err);
      return { unknown: 'database' };
    }
  }

  private dbFailed(err: unknown): void {
    this.dbBlockedUntil = Date.now() + this.config.retryAfterMs;
    this.dbDown = true;
    this.metrics.unavailable.inc({ reason: 'database' });
    const e = asDatabaseError(err, 'looking up the watchlist');
    const missingTable = (err as { code?: string }).code === '42P01';
    this.warning.warn(
      { err: e, retryAfterMs: this.config.retryAfterMs },
      missingTable
        ? 'watchlist table missing: run "platestream db migrate"; enrichment is "unknown" until then'
        : 'watchlist database unavailable; enrichment is "unknown" until it answers again',
    );
  }

  private dbRecovered(): void {
    if (!this.dbDown) return;
    this.dbDown = false;
    this.dbBlockedUntil = 0;
    this.deps.logger?.info('watchlist database answers again; enrichment resumed');
  }

  private redisFailed(err: unknown): Exact {
    this.metrics.unavailable.inc({ reason: 'redis' });
    this.warning.warn(
      { err },
      'watchlist cache (Redis) unavailable; enrichment is "unknown" until it answers again',
    );
    return { unknown: 'redis' };
  }

  private advance(v: number): void {
    if (Number.isFinite(v) && v > this.generation) {
      this.generation = v;
      this.local.clear();
    }
  }

  /** Reads the generation from Redis; false when Redis did not answer. */
  private async syncGeneration(): Promise<boolean> {
    try {
      const v = Number((await this.deps.redis.get(this.deps.keys.watchlistVersion)) ?? '0');
      this.advance(v);
      this.local.clear();
      return true;
    } catch (err) {
      this.deps.logger?.warn({ err }, 'could not read the watchlist generation from Redis');
      return false;
    }
  }

  /** (Re)builds the fuzzy index for the current generation; one load at a time; never throws. */
  refreshIndex(): Promise<void> {
    this.indexLoad ??= (async () => {
      const v = this.generation;
      if (Date.now() < this.dbBlockedUntil) return;
      this.stats.dbQueries++;
      this.metrics.dbQueries.inc();
      try {
        const plates = await this.deps.store.activePlates();
        this.dbRecovered();
        this.index = { v, idx: new FuzzyIndex(plates, this.config.fuzzyDistance) };
      } catch (err) {
        this.dbFailed(err);
      }
    })().finally(() => {
      this.indexLoad = undefined;
    });
    return this.indexLoad;
  }

  /** Forgets the in-process cache (tests and benchmarks). */
  clearLocal(): void {
    this.local.clear();
  }

  /** Idempotent; unsubscribes and runs the owner's cleanup. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.subscribed = false;
      this.local.clear();
      await this.deps.onClose?.();
    })();
    return this.closing;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
