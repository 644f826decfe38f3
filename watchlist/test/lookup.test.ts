import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canOwnPostgres,
  type TestPostgres,
  type TestRedis,
  usePostgres,
  useRedis,
} from '../../test/harness/index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { entry, freshWatchlist } from './fixtures.ts';

let pgt: TestPostgres;
let t: TestRedis;

beforeAll(async () => {
  [pgt, t] = await Promise.all([usePostgres(), useRedis()]);
});
afterAll(async () => {
  await Promise.all([pgt?.close(), t?.close()]);
});

describe('watchlist cache-aside lookup', () => {
  it('answers hits and misses, caches both (negative answers shorter) and serves repeats without queries', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      await w.admin.add(entry('AB123CD', { webhook: 'http://127.0.0.1:9/h' }));
      const { lookup, store } = await w.lookup({ fuzzyDistance: 0, hitTtlMs: 60_000, missTtlMs: 5_000 });

      const hit = await lookup.lookup('ab-123 cd');
      expect(hit).toMatchObject({
        status: 'hit',
        fuzzy: false,
        plate: 'AB123CD',
        entry: { plate: 'AB123CD', label: 'watch AB123CD' },
      });
      expect(await lookup.lookup('ZZ999')).toEqual({ status: 'miss' });
      expect(store.queries).toBe(2);

      // Both answers are in Redis with their TTLs: positive long, negative short.
      const hitTtl = await t.client.pttl(w.keys.watchlistCache('AB123CD'));
      const missTtl = await t.client.pttl(w.keys.watchlistCache('ZZ999'));
      expect(hitTtl).toBeGreaterThan(5_000);
      expect(missTtl).toBeGreaterThan(0);
      expect(missTtl).toBeLessThanOrEqual(5_000);

      // Repeats: from the in-process cache, then (in another "process") from Redis; no query either way.
      expect((await lookup.lookup('AB123CD')).status).toBe('hit');
      expect((await lookup.lookup('ZZ999')).status).toBe('miss');
      expect(lookup.stats.localHits).toBe(2);
      const other = await w.lookup({ fuzzyDistance: 0 });
      expect(await other.lookup.lookup('AB123CD')).toMatchObject({
        status: 'hit',
        entry: { webhook: 'http://127.0.0.1:9/h' },
      });
      expect((await other.lookup.lookup('ZZ999')).status).toBe('miss');
      expect(other.lookup.stats.redisHits).toBe(2);
      expect(other.store.queries).toBe(0);
      expect(store.queries).toBe(2);
    } finally {
      await w.close();
    }
  });

  it('stops matching an entry when it expires, and caches it no longer than its expiry', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      const expiresAt = new Date(Date.now() + 800);
      await w.admin.add(entry('EXP1', { expiresAt }));
      const { lookup } = await w.lookup({ fuzzyDistance: 0, hitTtlMs: 600_000 });
      expect((await lookup.lookup('EXP1')).status).toBe('hit');
      const ttl = await t.client.pttl(w.keys.watchlistCache('EXP1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(800);
      await waitFor(async () => (await lookup.lookup('EXP1')).status === 'miss', {
        timeoutMs: 5000,
        intervalMs: 100,
        what: 'expiry',
      });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    } finally {
      await w.close();
    }
  });

  it('sees adds, updates and removals at once in every process, including cached negative answers', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      const a = await w.lookup({ fuzzyDistance: 1 });
      const b = await w.lookup({ fuzzyDistance: 1 });
      const noLocal = await w.lookup({ fuzzyDistance: 1 }, { subscriber: false });
      for (const p of [a, b, noLocal]) expect((await p.lookup.lookup('NEW123')).status).toBe('miss');

      await w.admin.add(entry('NEW123'));
      // Without an in-process cache the very next lookup sees it; with one, the announcement arrives in ms.
      expect((await noLocal.lookup.lookup('NEW123')).status).toBe('hit');
      // The announcement reaches the in-process caches; how fast is bench material, not a test threshold.
      for (const p of [a, b]) {
        await waitFor(async () => (await p.lookup.lookup('NEW123')).status === 'hit', {
          timeoutMs: 10_000,
          intervalMs: 5,
          what: 'add',
        });
      }
      // The fuzzy index follows the new generation too.
      await waitFor(async () => (await a.lookup.lookup('NEW124')).status === 'hit', {
        timeoutMs: 10_000,
        intervalMs: 5,
        what: 'fuzzy',
      });

      await w.admin.add(entry('NEW123', { label: 'changed' }));
      for (const p of [a, b, noLocal]) {
        await waitFor(
          async () => {
            const r = await p.lookup.lookup('NEW123');
            return r.status === 'hit' && r.entry.label === 'changed';
          },
          { timeoutMs: 10_000, intervalMs: 5, what: 'update' },
        );
      }

      await w.admin.remove(['NEW123']);
      for (const p of [a, b, noLocal]) {
        await waitFor(async () => (await p.lookup.lookup('NEW123')).status === 'miss', {
          timeoutMs: 10_000,
          intervalMs: 5,
          what: 'remove',
        });
        expect((await p.lookup.lookup('NEW124')).status).toBe('miss');
      }
    } finally {
      await w.close();
    }
  });

  it('matches one misread character as fuzzy, and only within the configured distance', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      await w.admin.add(entry('AB123CD'));
      const { lookup } = await w.lookup({ fuzzyDistance: 1 });
      expect(await lookup.lookup('AB123CD')).toMatchObject({ status: 'hit', fuzzy: false, distance: 0 });
      expect(await lookup.lookup('AB128CD')).toMatchObject({
        status: 'hit',
        fuzzy: true,
        distance: 1,
        plate: 'AB128CD',
        entry: { plate: 'AB123CD' },
      });
      expect(await lookup.lookup('AB12CD')).toMatchObject({ status: 'hit', fuzzy: true, distance: 1 });
      expect(await lookup.lookup('XAB123CD')).toMatchObject({ status: 'hit', fuzzy: true, distance: 1 });
      expect((await lookup.lookup('AB988CD')).status).toBe('miss');
      const exactOnly = await w.lookup({ fuzzyDistance: 0 });
      expect((await exactOnly.lookup.lookup('AB128CD')).status).toBe('miss');
      const two = await w.lookup({ fuzzyDistance: 2 });
      expect(await two.lookup.lookup('AB883CD')).toMatchObject({ status: 'hit', fuzzy: true, distance: 2 });
      expect((await two.lookup.lookup('AB988CD')).status).toBe('miss');
    } finally {
      await w.close();
    }
  });

  it('turns 100 concurrent misses for one plate into one query, within a process and across processes', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      await w.admin.add(entry('HOT1'));
      // Generous deadlines so a loaded CI machine cannot turn a slow fill into a second query.
      const patient = { fuzzyDistance: 0, queryTimeoutMs: 3000, fillLockMs: 5000, lookupDeadlineMs: 10_000 };
      const a = await w.lookup(patient);
      const b = await w.lookup(patient);
      const one = await Promise.all(Array.from({ length: 100 }, () => a.lookup.lookup('HOT1')));
      expect(one.every((r) => r.status === 'hit')).toBe(true);
      expect(a.store.queries).toBe(1);

      // Two processes, 50 concurrent misses each, for a plate nobody has cached.
      const before = a.store.queries + b.store.queries;
      const both = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).lookup.lookup('COLD7')),
      );
      expect(both.every((r) => r.status === 'miss')).toBe(true);
      expect(a.store.queries + b.store.queries - before).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('answers "unknown" without waiting on a slow database, without caching it, and recovers by itself', async () => {
    const w = await freshWatchlist(pgt, t);
    const blocker = new pg.Client({ connectionString: w.url });
    await blocker.connect();
    try {
      await w.admin.add(entry('SLOW1'));
      const { lookup, store } = await w.lookup({ fuzzyDistance: 0, queryTimeoutMs: 200, retryAfterMs: 5000 });
      expect((await lookup.lookup('SLOW1')).status).toBe('hit'); // cached before the trouble
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE watchlist_entries IN ACCESS EXCLUSIVE MODE');

      // The table is locked for as long as the test holds it: any answer at all comes from the query
      // timeout, not from the database.
      expect(await lookup.lookup('SLOW2')).toEqual({ status: 'unknown', reason: 'database' });
      // Breaker open: answered without sending a query at all (latency figures: npm run bench:cache).
      const queriesBefore = store.queries;
      expect((await lookup.lookup('SLOW3')).status).toBe('unknown');
      expect(store.queries).toBe(queriesBefore);
      expect((await lookup.lookup('SLOW1')).status).toBe('hit'); // cached answers keep flowing
      expect(await t.client.exists(w.keys.watchlistCache('SLOW2'))).toBe(0);
      // Whatever the timeouts below it, one lookup ends at its deadline: with a 60 s query timeout and the
      // table locked, only the 100 ms lookup deadline can end it ('timeout'), well before the query would.
      const patient = await w.lookup({ fuzzyDistance: 0, queryTimeoutMs: 60_000, lookupDeadlineMs: 100 });
      const started = Date.now();
      expect(await patient.lookup.lookup('SLOW4')).toEqual({ status: 'unknown', reason: 'timeout' });
      expect(Date.now() - started).toBeLessThan(30_000);

      await blocker.query('ROLLBACK');
      await waitFor(async () => (await lookup.lookup('SLOW2')).status === 'miss', {
        timeoutMs: 20_000,
        intervalMs: 50,
        what: 'recovery',
      });
      expect(lookup.stats.unknown).toBeGreaterThanOrEqual(2);
    } finally {
      await blocker.end();
      await w.close();
    }
  });
});

describe.skipIf(!canOwnPostgres())('watchlist lookup across a database restart', () => {
  it('answers "unknown" while PostgreSQL is down, keeps serving cached answers, and recovers without restart', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      await w.admin.add(entry('DOWN1'));
      const { lookup } = await w.lookup({
        fuzzyDistance: 1,
        queryTimeoutMs: 300,
        connectTimeoutMs: 300,
        retryAfterMs: 200,
      });
      expect((await lookup.lookup('DOWN1')).status).toBe('hit');
      await pgt.server!.stop();
      try {
        expect((await lookup.lookup('DOWN2')).status).toBe('unknown');
        expect((await lookup.lookup('DOWN1')).status).toBe('hit');
      } finally {
        await pgt.server!.start();
      }
      await waitFor(async () => (await lookup.lookup('OTHER9')).status === 'miss', {
        timeoutMs: 10_000,
        intervalMs: 100,
        what: 'recovery',
      });
      expect(await lookup.lookup('DOWN2')).toMatchObject({
        status: 'hit',
        fuzzy: true,
        entry: { plate: 'DOWN1' },
      });
    } finally {
      await w.close();
    }
  });
});
