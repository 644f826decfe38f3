import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { waitFor } from '../../shared/util/wait.ts';
import type { WebService } from '../../web/service.ts';
import { openSse, type SseMessage } from '../../web/sse-reader.ts';
import { auth, result, startTestWeb, testWebConfig, VIEWER } from '../../web/test/helpers.ts';
import { type TestRedis, useRedis } from '../harness/index.ts';

/**
 * The live feed with LPR_PARTITIONS=3: every partition's results stream is followed; entries with the same
 * stream id in two partitions both arrive (ids <id>@<p>); a reconnect with the last message id (one position
 * per partition) resumes exactly where it stopped.
 */
describe('GET /v1/live across partitions', { timeout: 90_000 }, () => {
  let t: TestRedis;
  let web: WebService;
  let config: ReturnType<typeof testWebConfig>;

  beforeAll(async () => {
    t = await useRedis();
    config = testWebConfig(t, { LPR_PARTITIONS: '3', LPR_WEB_HEARTBEAT_MS: '200' });
    web = await startTestWeb(config);
  });
  afterAll(async () => {
    await web?.close();
    await t?.cleanup(config.redis.prefix);
    await t?.close();
  });

  function live(headers: Record<string, string> = {}) {
    const messages: SseMessage[] = [];
    const conn = openSse(
      `${web.url}/v1/live?streams=results`,
      { ...auth(VIEWER), ...headers },
      {
        onMessage: (m) => messages.push(m),
      },
    );
    return { conn, messages };
  }

  it('follows every partition, tells equal ids apart and resumes per partition', async () => {
    const parts = partitionsOf(config.redis);
    const before = web.ctx.hub.status().clients;
    const c = live();
    expect(await c.conn.status).toBe(200);
    await waitFor(() => web.ctx.hub.status().clients === before + 1, { what: 'subscription' });
    // The same stream id in partitions 0 and 2, then one more in partition 1.
    await t.client.xadd(parts.all[0]!.results, '9000000000000-1', ...result({ plate: 'P0A' }));
    await t.client.xadd(parts.all[2]!.results, '9000000000000-1', ...result({ plate: 'P2A' }));
    await t.client.xadd(parts.all[1]!.results, '9000000000001-0', ...result({ plate: 'P1A' }));
    await waitFor(() => c.messages.length === 3, { what: 'three live messages', timeoutMs: 10_000 });
    const items = c.messages.map((m) => JSON.parse(m.data) as { id: string; plate: string });
    expect(items.map((i) => `${i.plate}=${i.id}`).sort()).toEqual([
      'P0A=9000000000000-1@0',
      'P1A=9000000000001-0@1',
      'P2A=9000000000000-1@2',
    ]);
    const lastId = c.messages.at(-1)!.id ?? '';
    expect(lastId.split(',').sort()).toEqual([
      'results@0:9000000000000-1',
      'results@1:9000000000001-0',
      'results@2:9000000000000-1',
    ]);
    c.conn.close();

    // Written while nobody listened: a reconnect with the last id gets exactly these, per partition.
    await t.client.xadd(parts.all[2]!.results, '9000000000000-2', ...result({ plate: 'P2B' }));
    await t.client.xadd(parts.all[0]!.results, '9000000000002-0', ...result({ plate: 'P0B' }));
    const again = live({ 'last-event-id': lastId });
    await waitFor(() => again.messages.length === 2, { what: 'the catch-up', timeoutMs: 10_000 });
    expect(again.messages.map((m) => (JSON.parse(m.data) as { plate: string }).plate)).toEqual([
      'P2B',
      'P0B',
    ]);
    again.conn.close();
  });
});
