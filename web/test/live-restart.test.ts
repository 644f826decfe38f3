import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { canOwnServer, type TestRedis, useRedis } from '../../test/harness/index.ts';
import type { WebService } from '../service.ts';
import { openSse, type SseMessage } from '../sse-reader.ts';
import { auth, result, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

describe.skipIf(!canOwnServer())('live feed across a Redis restart', { timeout: 90_000 }, () => {
  let t: TestRedis;
  let web: WebService;
  let keys: StreamKeys;

  beforeAll(async () => {
    t = await useRedis({ appendonly: true, requireOwnServer: true });
    const config = testWebConfig(t);
    keys = new StreamKeys(config.redis.prefix);
    web = await startTestWeb(config);
  });
  afterAll(async () => {
    await web?.close();
    await t?.close();
  });

  it('keeps the open connection and delivers what is written after Redis comes back, without a gap', async () => {
    const messages: SseMessage[] = [];
    const conn = openSse(`${web.url}/v1/live?streams=results`, auth(VIEWER), {
      onMessage: (m) => messages.push(m),
    });
    expect(await conn.status).toBe(200);
    await waitFor(() => web.ctx.hub.status().clients === 1, { what: 'subscription' });
    const before = await t.client.xadd(keys.results, '*', ...result({ plate: 'BEFORE' }));
    await waitFor(() => messages.length === 1, { what: 'the first entry' });
    await t.server!.kill();
    await t.server!.start();
    const ids: string[] = [before!];
    await waitFor(
      async () => {
        ids.push((await t.client.xadd(keys.results, '*', ...result({ plate: `AFTER${ids.length}` })))!);
        return true;
      },
      { what: 'a write after the restart', timeoutMs: 20_000 },
    );
    ids.push((await t.client.xadd(keys.results, '*', ...result({ plate: 'LAST' })))!);
    await waitFor(() => messages.length === ids.length, {
      what: 'the entries after the restart',
      timeoutMs: 30_000,
    });
    expect(messages.map((m) => m.id)).toEqual(ids);
    conn.close();
  });
});
