import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlatestreamError } from '../../shared/errors.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestPostgres, type TestRedis, usePostgres, useRedis } from '../../test/harness/index.ts';
import { run as watchlistCli } from '../cli.ts';
import { WATCHLIST_DEFAULTS } from '../config.ts';
import { readWatchlistCsv } from '../csv.ts';
import { createPool } from '../db.ts';
import { createEnricher } from '../enricher.ts';
import { assertMigrated, loadMigrations, migrate } from '../migrate.ts';
import { entry, freshWatchlist } from './fixtures.ts';

let pgt: TestPostgres;
let t: TestRedis;
let dir: string;

beforeAll(async () => {
  [pgt, t] = await Promise.all([usePostgres(), useRedis()]);
  dir = mkdtempSync(join(tmpdir(), 'platestream-csv-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([pgt?.close(), t?.close()]);
});

describe('migrations', () => {
  it('refuses to start on an unmigrated database, naming the command; migrate is idempotent and concurrent-safe', async () => {
    const url = await pgt.createDatabase('mig');
    const pool = createPool({ url, queryTimeoutMs: 5000, connectTimeoutMs: 2000, max: 4 });
    try {
      const err = await assertMigrated(pool).catch((e: unknown) => e);
      expect(isPlatestreamError(err, 'DATABASE_NOT_MIGRATED')).toBe(true);
      expect((err as Error).message).toContain('platestream db migrate');
      const startup = await createEnricher({
        redis: t.config(),
        watchlist: { ...WATCHLIST_DEFAULTS, databaseUrl: url },
      }).catch((e: unknown) => e);
      expect(isPlatestreamError(startup, 'DATABASE_NOT_MIGRATED')).toBe(true);

      const [a, b] = await Promise.all([migrate(pool), migrate(pool)]);
      expect(a.length + b.length).toBe(loadMigrations().length);
      expect(await migrate(pool)).toEqual([]);
      await assertMigrated(pool);
    } finally {
      await pool.end();
    }
  });

  it('without DATABASE_URL enrichment is off', async () => {
    expect(await createEnricher({ redis: t.config(), watchlist: WATCHLIST_DEFAULTS })).toBeUndefined();
  });
});

describe('CSV import', () => {
  it('reports every bad row with its line number and what is wrong', () => {
    const csv = [
      'plate,label,expires,webhook',
      'AB-123 CD,stolen car,2099-01-01,',
      'B@D1,missing person,,',
      'GOOD2,,,',
      'AB123CD,duplicate,,',
      '"Q 1","a label, with a comma",,ftp://x',
      'T1,too,many,fields,here',
      'OLD1,expired,2001-01-01,',
      'WHEN1,x,tomorrow,',
    ].join('\n');
    const { entries, errors } = readWatchlistCsv(csv);
    expect(entries.map((e) => e.plate)).toEqual(['AB123CD']);
    expect(errors).toEqual([
      'line 3: plate "B@D1" may contain only letters and digits (spaces and dashes are dropped)',
      'line 4: label is empty (say why the plate is watched)',
      'line 5: plate "AB123CD" is already on line 2',
      'line 6: webhook "ftp://x" must be an http:// or https:// URL',
      'line 7: has 5 fields, the header has 4',
      'line 8: expires "2001-01-01" is in the past',
      'line 9: expires "tomorrow" is not a date; use ISO 8601 such as 2027-01-31 or 2027-01-31T18:00:00Z',
    ]);
    expect(readWatchlistCsv('number,label\n1,x').errors[0]).toMatch(/line 1: unknown column "number"/);
    expect(() => readWatchlistCsv('plate,label\n"AB1,x')).toThrow(/line 2: a quoted field is never closed/);
  });

  it('imports all rows in one transaction or none, and invalidates cached answers', async () => {
    const w = await freshWatchlist(pgt, t);
    try {
      const { lookup } = await w.lookup({ fuzzyDistance: 0 });
      expect((await lookup.lookup('IMP1')).status).toBe('miss'); // negative answer now cached

      // A row the database refuses (bypassing CSV validation) in the third batch of 1000: nothing stays.
      const rows = Array.from({ length: 2500 }, (_, i) => entry(`IMP${i + 1}`));
      rows[2400] = entry('X'.repeat(17));
      await expect(w.admin.importAll(rows)).rejects.toThrow(/check constraint/);
      expect((await w.pool.query('SELECT count(*)::int AS n FROM watchlist_entries')).rows[0].n).toBe(0);

      const file = join(dir, 'good.csv');
      writeFileSync(file, 'plate,reason,expires_at\nIMP1,first,\nIMP2,second,2099-12-31T23:00:00Z\n');
      const env = { ...process.env };
      Object.assign(process.env, {
        DATABASE_URL: w.url,
        REDIS_URL: w.redisConfig.url,
        LPR_PREFIX: w.redisConfig.prefix,
      });
      try {
        expect(await watchlistCli(['import', file])).toBe(0);
        const bad = join(dir, 'bad.csv');
        writeFileSync(bad, 'plate,label\nIMP3,ok\n,no plate\nIMP4,\n');
        const err = await watchlistCli(['import', bad]).catch((e: unknown) => e);
        expect(isPlatestreamError(err, 'WATCHLIST_INVALID')).toBe(true);
        expect((err as Error).message).toContain('2 bad rows; nothing imported');
        expect((err as Error).message).toContain('line 3: plate is empty');
        expect((err as Error).message).toContain('line 4: label is empty');
      } finally {
        process.env = env;
      }
      const listed = await w.admin.store.list();
      expect(listed.map((e) => [e.plate, e.label])).toEqual([
        ['IMP1', 'first'],
        ['IMP2', 'second'],
      ]);
      expect(listed[1]!.expiresAt).toBe('2099-12-31T23:00:00.000Z');
      await waitFor(async () => (await lookup.lookup('IMP1')).status === 'hit', {
        timeoutMs: 1000,
        intervalMs: 5,
      });
    } finally {
      await w.close();
    }
  });
});
