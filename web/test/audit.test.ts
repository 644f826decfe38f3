import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { type TestPostgres, type TestRedis, usePostgres, useRedis } from '../../test/harness/index.ts';
import { migrate } from '../../watchlist/index.ts';
import type { WebService } from '../service.ts';
import { ADMIN, auth, result, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

describe('web API searches in the audit trail (privacy)', () => {
  let t: TestRedis;
  let web: WebService;
  let keys: StreamKeys;
  beforeAll(async () => {
    t = await useRedis();
    const config = testWebConfig(t);
    keys = new StreamKeys(config.redis.prefix);
    web = await startTestWeb(config);
  });
  afterAll(async () => {
    await web?.close();
    await t?.cleanup(keys.prefix);
    await t?.close();
  });

  it('records plate and time-range searches with the token, the filter and the rows returned; unfiltered listings and failures are not searches', async () => {
    for (const plate of ['AUD1', 'AUD1', 'OTHER9'])
      await t.client.xadd(keys.results, '*', ...result({ plate }));
    const get = (url: string) => web.app.inject({ method: 'GET', url, headers: auth(VIEWER) });
    expect((await get('/v1/results?plate=AUD1')).statusCode).toBe(200);
    expect((await get('/v1/results?from=-1h')).statusCode).toBe(200);
    expect((await get('/v1/results')).statusCode).toBe(200);
    expect((await get('/v1/plates/AUD1')).statusCode).toBe(200);
    expect((await web.app.inject({ method: 'GET', url: '/v1/results?plate=AUD1' })).statusCode).toBe(401);

    const rows = (await t.client.xrange(keys.auditLog, '-', '+')) as [string, string[]][];
    const entries = rows.map(([, f]) => {
      const m: Record<string, string> = {};
      for (let i = 0; i + 1 < f.length; i += 2) m[f[i]!] = f[i + 1]!;
      return [m.actor, m.action, m.target, Number(m.rows)];
    });
    const actor = `web:viewer:${createHash('sha256').update(VIEWER).digest('hex').slice(0, 8)}`;
    expect(entries).toEqual([
      [actor, 'search:web-results', 'plate=AUD1', 2],
      [actor, 'search:web-results', 'from=-1h', 3],
      [actor, 'search:web-plate', 'AUD1', 0],
    ]);
  });

  it('with DATABASE_URL the same entries go to the audit_log table, watchlist changes through the API too', async () => {
    const p: TestPostgres = await usePostgres();
    const url = await p.createDatabase('webaudit');
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    let db: WebService | undefined;
    try {
      await migrate(pool);
      const config = testWebConfig(t, { DATABASE_URL: url });
      db = await startTestWeb(config);
      const dbKeys = new StreamKeys(config.redis.prefix);
      await t.client.xadd(dbKeys.results, '*', ...result({ plate: 'PGA1' }));
      expect(
        (await db.app.inject({ method: 'GET', url: '/v1/results?plate=PGA1', headers: auth(VIEWER) }))
          .statusCode,
      ).toBe(200);
      const add = await db.app.inject({
        method: 'POST',
        url: '/v1/watchlist',
        headers: { ...auth(ADMIN), 'content-type': 'application/json' },
        payload: { plate: 'PGA1', label: 'test' },
      });
      expect(add.statusCode).toBeLessThan(300);
      const { rows } = await pool.query(
        'SELECT actor, action, target, row_count, stream_id FROM audit_log ORDER BY id',
      );
      expect(rows.map((r) => [r.actor.split(':')[1], r.action, r.target, r.row_count])).toEqual([
        ['viewer', 'search:web-results', 'plate=PGA1', 1],
        ['admin', 'watchlist:add', 'PGA1', 1],
      ]);
      const stream = (await t.client.xrange(dbKeys.auditLog, '-', '+')) as [string, string[]][];
      expect(rows.map((r) => r.stream_id)).toEqual(stream.map(([id]) => id));
    } finally {
      await db?.close();
      await pool.end();
      await p.close();
    }
  });
});
