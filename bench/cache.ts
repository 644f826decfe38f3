/**
 * Watchlist cache benchmark: Zipf-distributed plate lookups through the cache-aside WatchlistLookup.
 *
 *   npm run bench:cache [-- --lookups 50000 --warmup 25000 --universe 20000 --watchlist 2000 --zipf 1.1 --changes 50 --json]
 *
 * Uses DATABASE_URL / REDIS_URL when set (a fresh database or key prefix of its own), else starts a
 * throwaway PostgreSQL cluster and redis-server. Lookups run one at a time so every latency is one
 * lookup's; "hit" = answered without a database query (in-process cache or Redis), "miss" = needed one.
 * Runs twice in one go: with the in-process LRU (the default) and Redis only, so the two can be compared.
 * Then measures how long a watchlist change takes to reach another process's in-process cache (`watchlist
 * add` announces it; the figure the lookup tests no longer assert as a wall-clock threshold).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { REDIS_DEFAULTS, type RedisConfig } from '../shared/config/redis-config.ts';
import { percentile } from '../shared/util/percentile.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { findPgBin, PostgresCluster } from '../shared/util/local-postgres-server.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import { WatchlistAdmin } from '../watchlist/admin.ts';
import { WATCHLIST_DEFAULTS, type WatchlistConfig } from '../watchlist/config.ts';
import { createPool } from '../watchlist/db.ts';
import { WatchlistLookup } from '../watchlist/lookup.ts';
import { migrate } from '../watchlist/migrate.ts';
import { WatchlistStore } from '../watchlist/store.ts';

const { values } = parseArgs({
  options: {
    lookups: { type: 'string', default: '50000' },
    warmup: { type: 'string', default: '25000' },
    universe: { type: 'string', default: '20000' },
    watchlist: { type: 'string', default: '2000' },
    zipf: { type: 'string', default: '1.1' },
    hot: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});
const LOOKUPS = Number(values.lookups);
const WARMUP = Number(values.warmup);
const UNIVERSE = Number(values.universe);
const WATCHED = Number(values.watchlist);
const ZIPF_S = Number(values.zipf);
const HOT = Number(values.hot);

interface Run {
  label: string;
  lookups: number;
  hitRatio: number;
  hotHitRatio: number;
  hitP50Ms: number;
  hitP99Ms: number;
  missP50Ms: number;
  missP99Ms: number;
  queriesPer1000: number;
  localShare: number;
}

/** Time from WatchlistAdmin.add() returning to a lookup with a warm in-process cache answering "hit". */
async function measurePropagation(
  url: string,
  redisUrl: string,
  rounds: number,
): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; rounds: number }> {
  const redisConfig: RedisConfig = {
    ...REDIS_DEFAULTS,
    url: redisUrl,
    prefix: `bench-${randomUUID().slice(0, 8)}`,
  };
  const keys = new StreamKeys(redisConfig.prefix);
  const config: WatchlistConfig = { ...WATCHLIST_DEFAULTS, databaseUrl: url, fuzzyDistance: 0 };
  const pool = createPool({ url, queryTimeoutMs: config.queryTimeoutMs, connectTimeoutMs: 2000, max: 4 });
  const redis = createRedis(redisConfig, 'producer');
  const sub = createRedis(redisConfig, 'consumer');
  await waitReady(redis, 5000);
  const lookup = new WatchlistLookup({
    store: new WatchlistStore(pool),
    redis,
    subscriber: sub,
    keys,
    config,
  });
  await lookup.start();
  const admin = new WatchlistAdmin(new WatchlistStore(pool), redis, keys);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const plate = `PROP${String(i).padStart(3, '0')}`;
      // Cached negative answer first: the change must replace it.
      if ((await lookup.lookup(plate)).status !== 'miss') throw new Error(`${plate} should start as a miss`);
      await admin.add({ plate, label: 'bench', expiresAt: null, webhook: null });
      const t0 = performance.now();
      while ((await lookup.lookup(plate)).status !== 'hit') {
        if (performance.now() - t0 > 10_000) throw new Error(`${plate}: the change did not arrive in 10 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      times.push(performance.now() - t0);
    }
  } finally {
    await lookup.close();
    await closeRedis(sub);
    await closeRedis(redis);
    await pool.end();
  }
  times.sort((a, b) => a - b);
  return {
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: times[times.length - 1]!,
    rounds,
  };
}

/** Deterministic PRNG (mulberry32) so every run sees the same workload. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks 0..n-1 drawn with P(rank k) ∝ 1/(k+1)^s, by inverse CDF over a precomputed table. */
function zipfSampler(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cdf[k] = sum;
  }
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function main(): Promise<void> {
  let cluster: PostgresCluster | undefined;
  let redisServer: RedisServerProcess | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    if (!findPgBin()) throw new Error('set DATABASE_URL or install PostgreSQL (initdb/pg_ctl)');
    cluster = await PostgresCluster.create();
    adminUrl = cluster.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redisServer = await RedisServerProcess.start();
    redisUrl = redisServer.url;
  }
  const dbName = `bench_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  const runs: Run[] = [];
  let propagation: Awaited<ReturnType<typeof measurePropagation>> | undefined;
  try {
    const seedPool = createPool({ url, queryTimeoutMs: 60_000, connectTimeoutMs: 5000, max: 2 });
    await migrate(seedPool);
    // Universe of plates; every (UNIVERSE / WATCHED)-th rank is on the watchlist, so hot plates mix hits and misses.
    const rand = rng(42);
    // Random 7-character plates: sparse enough that fuzzy neighbours are rare, as on real roads.
    const alphabet = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
    const unique = new Set<string>();
    while (unique.size < UNIVERSE) {
      unique.add(Array.from({ length: 7 }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    }
    const plates = [...unique];
    const step = Math.max(1, Math.floor(UNIVERSE / WATCHED));
    const watched = plates.filter((_, i) => i % step === 0).slice(0, WATCHED);
    await new WatchlistStore(seedPool).importAll(
      watched.map((plate) => ({ plate, label: 'bench', expiresAt: null, webhook: null })),
    );
    await seedPool.end();

    for (const [label, localCacheSize] of [
      ['in-process LRU + Redis', WATCHLIST_DEFAULTS.localCacheSize],
      ['Redis only', 0],
    ] as const) {
      const redisConfig: RedisConfig = {
        ...REDIS_DEFAULTS,
        url: redisUrl,
        prefix: `bench-${randomUUID().slice(0, 8)}`,
      };
      const config: WatchlistConfig = { ...WATCHLIST_DEFAULTS, databaseUrl: url, localCacheSize };
      const pool = createPool({ url, queryTimeoutMs: config.queryTimeoutMs, connectTimeoutMs: 2000, max: 4 });
      const redis = createRedis(redisConfig, 'producer');
      const sub = createRedis(redisConfig, 'consumer');
      await waitReady(redis, 5000);
      const store = new WatchlistStore(pool);
      const lookup = new WatchlistLookup({
        store,
        redis,
        subscriber: sub,
        keys: new StreamKeys(redisConfig.prefix),
        config,
      });
      await lookup.start();
      const sample = zipfSampler(UNIVERSE, ZIPF_S, rng(7));
      // Warm-up from the same distribution (not measured): the figures below are the steady state.
      for (let i = 0; i < WARMUP; i++) await lookup.lookup(plates[sample()]!);
      const startQueries = store.queries;
      const hits: number[] = [];
      const misses: number[] = [];
      let hotLookups = 0;
      let hotHits = 0;
      let inProcess = 0;
      for (let i = 0; i < LOOKUPS; i++) {
        const rank = sample();
        const before = lookup.stats.dbQueries;
        const redisBefore = lookup.stats.redisHits;
        const t0 = performance.now();
        const r = await lookup.lookup(plates[rank]!);
        const ms = performance.now() - t0;
        if (r.status === 'unknown')
          throw new Error(`lookup answered unknown (${r.reason}); is the database up?`);
        const cached = lookup.stats.dbQueries === before;
        (cached ? hits : misses).push(ms);
        if (cached && lookup.stats.redisHits === redisBefore) inProcess++;
        if (rank < HOT) {
          hotLookups++;
          if (cached) hotHits++;
        }
      }
      hits.sort((a, b) => a - b);
      misses.sort((a, b) => a - b);
      runs.push({
        label,
        lookups: LOOKUPS,
        hitRatio: hits.length / LOOKUPS,
        hotHitRatio: hotLookups ? hotHits / hotLookups : Number.NaN,
        hitP50Ms: percentile(hits, 50),
        hitP99Ms: percentile(hits, 99),
        missP50Ms: percentile(misses, 50),
        missP99Ms: percentile(misses, 99),
        queriesPer1000: ((store.queries - startQueries) * 1000) / LOOKUPS,
        localShare: inProcess / LOOKUPS,
      });
      await lookup.close();
      await closeRedis(sub);
      await closeRedis(redis);
      await pool.end();
    }
    propagation = await measurePropagation(url, redisUrl, Number(values.changes));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await admin.end();
    await cluster?.destroy();
    await redisServer?.destroy();
  }

  const main = runs[0]!;
  if (values.json) {
    const round = (n: number) => Math.round(n * 10_000) / 10_000;
    process.stdout.write(
      `${JSON.stringify({
        hitRatio: round(main.hitRatio),
        hitP99Ms: round(main.hitP99Ms),
        missP99Ms: round(main.missP99Ms),
        queriesPer1000: round(main.queriesPer1000),
        hotHitRatio: round(main.hotHitRatio),
        hitP50Ms: round(main.hitP50Ms),
        missP50Ms: round(main.missP50Ms),
        changePropagationMs: propagation && {
          p50: round(propagation.p50Ms),
          p99: round(propagation.p99Ms),
          max: round(propagation.maxMs),
        },
        redisOnly: Object.fromEntries(
          Object.entries(runs[1]!).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]),
        ),
        workload: {
          lookups: LOOKUPS,
          warmup: WARMUP,
          universe: UNIVERSE,
          watchlist: WATCHED,
          zipf: ZIPF_S,
          hotSet: HOT,
        },
      })}\n`,
    );
    return;
  }
  const f = (n: number) => n.toFixed(3);
  const p = (n: number) => `${(n * 100).toFixed(2)} %`;
  process.stdout.write(
    `watchlist cache benchmark: ${LOOKUPS} lookups measured after ${WARMUP} warm-up lookups, Zipf s=${ZIPF_S} over ${UNIVERSE} plates, ${WATCHED} on the watchlist\n\n`,
  );
  for (const r of runs) {
    process.stdout.write(
      `${r.label}\n` +
        `  hit ratio            ${p(r.hitRatio)} (hot set, top ${HOT} plates: ${p(r.hotHitRatio)}; in-process: ${p(r.localShare)})\n` +
        `  hit  p50 / p99       ${f(r.hitP50Ms)} / ${f(r.hitP99Ms)} ms\n` +
        `  miss p50 / p99       ${f(r.missP50Ms)} / ${f(r.missP99Ms)} ms\n` +
        `  DB queries per 1000  ${r.queriesPer1000.toFixed(1)}\n\n`,
    );
  }
  if (propagation)
    process.stdout.write(
      `watchlist change to another process's cache (${propagation.rounds} adds): p50 ${f(propagation.p50Ms)} ms, p99 ${f(propagation.p99Ms)} ms, max ${f(propagation.maxMs)} ms\n\n`,
    );
  process.stdout.write(
    `targets: hit p99 <= 1 ms: ${main.hitP99Ms <= 1 ? 'met' : 'NOT met'}; hot-set hit ratio >= 95 %: ${main.hotHitRatio >= 0.95 ? 'met' : 'NOT met'}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench:cache failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
