import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import type { WebService } from '../service.ts';
import { auth, result, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

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
    for (const plate of ['AUD1', 'AUD1', 'OTHER9']) await t.client.xadd(keys.results, '*', ...result({ plate }));
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
});
