import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { type TestPostgres, type TestRedis, usePostgres, useRedis } from '../../test/harness/index.ts';
import { createPool } from '../../watchlist/db.ts';
import { migrate } from '../../watchlist/index.ts';
import type { WebService } from '../service.ts';
import { ADMIN, auth, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

describe('watchlist over the web API (real Redis + PostgreSQL)', () => {
  let pgt: TestPostgres;
  let t: TestRedis;
  let web: WebService;
  let bare: WebService;
  let keys: StreamKeys;

  beforeAll(async () => {
    [pgt, t] = await Promise.all([usePostgres(), useRedis()]);
    const url = await pgt.createDatabase('web');
    const pool = createPool({ url, queryTimeoutMs: 10_000, connectTimeoutMs: 5000, max: 1 });
    await migrate(pool);
    await pool.end();
    const config = testWebConfig(t, { DATABASE_URL: url });
    keys = new StreamKeys(config.redis.prefix);
    web = await startTestWeb(config);
    bare = await startTestWeb(testWebConfig(t));
  });
  afterAll(async () => {
    await Promise.all([web?.close(), bare?.close()]);
    await t?.cleanup(keys.prefix);
    await Promise.all([pgt?.close(), t?.close()]);
  });

  const call = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    token: string,
    body?: unknown,
    type?: string,
  ) =>
    web.app.inject({
      method,
      url,
      headers: { ...auth(token), ...(type ? { 'content-type': type } : {}) },
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? { payload: body }
          : { payload: body as object }),
    });

  it('admin adds, replaces, lists and removes; each change bumps the cache generation', async () => {
    const v0 = Number((await t.client.get(keys.watchlistVersion)) ?? 0);
    const add = await call('POST', '/v1/watchlist', ADMIN, { plate: 'ab-123 cd', label: 'stolen' });
    expect(add.statusCode).toBe(201);
    expect(add.json().entry).toMatchObject({ plate: 'AB123CD', label: 'stolen' });
    const again = await call('POST', '/v1/watchlist', ADMIN, { plate: 'AB123CD', label: 'stolen car' });
    expect(again.statusCode).toBe(200);
    const list = (await call('GET', '/v1/watchlist', VIEWER)).json();
    expect(list.entries.map((e: { plate: string; label: string }) => [e.plate, e.label])).toEqual([
      ['AB123CD', 'stolen car'],
    ]);
    expect((await call('DELETE', '/v1/watchlist/AB123CD', ADMIN)).json()).toEqual({ removed: 'AB123CD' });
    expect((await call('DELETE', '/v1/watchlist/AB123CD', ADMIN)).statusCode).toBe(404);
    expect(Number(await t.client.get(keys.watchlistVersion))).toBe(v0 + 3);
  });

  it('a viewer cannot change the watchlist', async () => {
    for (const r of [
      await call('POST', '/v1/watchlist', VIEWER, { plate: 'ZZ1', label: 'x' }),
      await call('DELETE', '/v1/watchlist/ZZ1', VIEWER),
      await call('POST', '/v1/watchlist/import', VIEWER, 'plate,label\nZZ1,x\n', 'text/csv'),
    ]) {
      expect(r.statusCode).toBe(403);
      expect(r.json().error.code).toBe('FORBIDDEN');
    }
    expect((await call('GET', '/v1/watchlist?prefix=ZZ', VIEWER)).json().entries).toEqual([]);
  });

  it('imports a CSV all or nothing, naming bad rows by line', async () => {
    const bad = await call('POST', '/v1/watchlist/import', ADMIN, 'plate,label\nQQ1,ok\n!!,\n', 'text/csv');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('WATCHLIST_INVALID');
    expect(bad.json().error.message).toMatch(/line 3/);
    expect((await call('GET', '/v1/watchlist?prefix=QQ', VIEWER)).json().entries).toEqual([]);
    const ok = await call(
      'POST',
      '/v1/watchlist/import',
      ADMIN,
      'plate,label\nQQ1,one\nQQ2,two\n',
      'text/csv',
    );
    expect(ok.json()).toEqual({ inserted: 2, updated: 0 });
    expect((await call('GET', '/v1/watchlist?prefix=QQ', VIEWER)).json().entries).toHaveLength(2);
    const invalid = await call('POST', '/v1/watchlist', ADMIN, { plate: 'QQ3' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.message).toMatch(/label/);
  });

  it('without DATABASE_URL the watchlist routes say how to configure it', async () => {
    const r = await bare.app.inject({ method: 'GET', url: '/v1/watchlist', headers: auth(VIEWER) });
    expect(r.statusCode).toBe(503);
    expect(r.json().error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(r.json().error.message).toMatch(/DATABASE_URL/);
  });
});
