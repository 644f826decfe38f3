import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertFieldList } from '../../alerts/index.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { compareIds } from '../../shared/redis/stream/index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { parseLivePositions } from '../live-route.ts';
import type { WebService } from '../service.ts';
import { openSse, type SseMessage } from '../sse-reader.ts';
import { auth, result, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

function alert(plate: string): string[] {
  return alertFieldList({
    plate,
    watchPlate: plate,
    camera: 'gate-1',
    ts: String(Date.now()),
    frame: '1-0',
    entry: '7',
    label: 'test',
    fuzzy: '0',
    distance: '0',
    confidence: '0.9',
    webhook: '',
  });
}

describe('live positions', () => {
  it('reads Last-Event-ID for every stream and per-stream cursors', () => {
    const both = parseLivePositions(['results', 'alerts'], {}, '5-1');
    expect([...both]).toEqual([
      ['results', '5-1'],
      ['alerts', '5-1'],
    ]);
    const cur = parseLivePositions(['results', 'alerts'], { cursor: 'results:7-0,alerts:3-2' }, undefined);
    expect(Object.fromEntries(cur)).toEqual({ results: '7-0', alerts: '3-2' });
    expect(parseLivePositions(['results'], {}, undefined).size).toBe(0);
    expect(() => parseLivePositions(['results'], {}, 'yesterday')).toThrow(/not a stream id/);
    expect(() => parseLivePositions(['results'], { cursor: 'events:1-0' }, undefined)).toThrow(/cursor/);
  });
});

describe('GET /v1/live on a real Redis', { timeout: 90_000 }, () => {
  let t: TestRedis;
  let web: WebService;
  let keys: StreamKeys;

  beforeAll(async () => {
    t = await useRedis();
    const config = testWebConfig(t, { LPR_WEB_HEARTBEAT_MS: '200', LPR_WEB_CLIENT_BUFFER: '64KB' });
    keys = new StreamKeys(config.redis.prefix);
    web = await startTestWeb(config);
  });
  afterAll(async () => {
    await web?.close();
    await t?.cleanup(keys.prefix);
    await t?.close();
  });

  /** Opens a live connection and collects its messages and comments. */
  function live(query: string, headers: Record<string, string> = {}) {
    const messages: SseMessage[] = [];
    const comments: string[] = [];
    const conn = openSse(
      `${web.url}/v1/live?${query}`,
      { ...auth(VIEWER), ...headers },
      {
        onMessage: (m) => messages.push(m),
        onComment: (c) => comments.push(c),
      },
    );
    return { conn, messages, comments };
  }
  const clients = () => web.ctx.hub.status().clients;

  it('needs a token', async () => {
    const r = await fetch(`${web.url}/v1/live?streams=results`);
    expect(r.status).toBe(401);
    expect((await r.json()).error.code).toBe('UNAUTHORIZED');
  });

  it('sends new entries with their stream id as the message id, and heartbeats', async () => {
    const before = clients();
    const c = live('streams=results');
    expect(await c.conn.status).toBe(200);
    await waitFor(() => clients() === before + 1, { what: 'subscription' });
    const id = await t.client.xadd(keys.results, '*', ...result({ plate: 'LIVE1' }));
    await waitFor(() => c.messages.length === 1, { what: 'the live message', timeoutMs: 10_000 });
    expect(c.messages[0]!.id).toBe(id);
    expect(c.messages[0]!.event).toBe('results');
    expect(JSON.parse(c.messages[0]!.data)).toMatchObject({ id, plate: 'LIVE1', camera: 'gate-1' });
    await waitFor(() => c.comments.some((x) => x.startsWith('heartbeat')), { what: 'a heartbeat' });
    c.conn.close();
    await waitFor(() => clients() === before, { what: 'unsubscribe on disconnect' });
  });

  it('resumes after Last-Event-ID: every later entry once, in order, then the live tail', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 1200; i++)
      ids.push((await t.client.xadd(keys.results, '*', ...result({ plate: `R${i}` })))!);
    const c = live('streams=results', { 'last-event-id': ids[199]! });
    // Generous: a loaded 2-core machine (CI runs the suite twice) can take many seconds for 1000 entries.
    await waitFor(() => c.messages.length >= 1000, { what: 'the catch-up', timeoutMs: 60_000 });
    ids.push((await t.client.xadd(keys.results, '*', ...result({ plate: 'AFTER' })))!);
    await waitFor(() => c.messages.length >= 1001, { what: 'the live tail', timeoutMs: 20_000 });
    expect(c.messages.map((m) => m.id)).toEqual(ids.slice(200));
    c.conn.close();
  }, 120_000);

  it('merges several streams in id order and takes per-stream cursors', async () => {
    const start = await t.client.xadd(keys.results, '*', ...result({ plate: 'START' }));
    const alertsTop0 = (await t.client.xrevrange(keys.alerts, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      order.push(
        (await t.client.xadd(
          i % 3 === 0 ? keys.alerts : keys.results,
          '*',
          ...(i % 3 === 0 ? alert(`A${i}`) : result({ plate: `M${i}` })),
        ))!,
      );
    }
    const c = live(`streams=results,alerts&cursor=results:${start},alerts:${alertsTop0}`);
    await waitFor(() => c.messages.length === 6, { what: 'merged catch-up' });
    // Id order (entries written in one millisecond to two streams are ordered by id, not by write order).
    // (Two streams may even hold the same id: compare stream and id.)
    const written = order.map((id, i) => `${i % 3 === 0 ? 'alerts' : 'results'} ${id}`);
    const byId = (a: string, b: string) => compareIds(a.split(' ')[1]!, b.split(' ')[1]!);
    const got = c.messages.map((m) => `${m.event} ${JSON.parse(m.data).id}`);
    expect([...got].sort()).toEqual([...written].sort());
    expect([...got].sort(byId).map((x) => x.split(' ')[1])).toEqual(got.map((x) => x.split(' ')[1]));
    const sorted = got.map((x) => x.split(' ')[1]!);
    // Several streams: the message id is every stream's position, and resumes each exactly.
    expect(c.messages.at(-1)!.id).toMatch(/^results:\d+-\d+,alerts:\d+-\d+$/);
    const mid = c.messages[2]!.id!;
    const resumed = live('streams=results,alerts', { 'last-event-id': mid });
    await waitFor(() => resumed.messages.length === 3, { what: 'resume from a composite id' });
    expect(resumed.messages.map((m) => JSON.parse(m.data).id)).toEqual(sorted.slice(3));
    resumed.conn.close();
    c.conn.close();
    // The page's form: exact positions per stream.
    const d = live(`streams=results,alerts&cursor=results:${order[4]},alerts:${order[0]}`);
    await waitFor(() => d.messages.length === 2, { what: 'per-stream catch-up' });
    expect(d.messages.map((m) => JSON.parse(m.data).id)).toEqual([order[3]!, order[5]!].sort(compareIds));
    d.conn.close();
  });

  it('says when entries after the position were already trimmed', async () => {
    const old = await t.client.xadd(keys.alerts, '*', ...alert('OLD'));
    await t.client.xadd(keys.alerts, '*', ...alert('GONE'));
    const kept = await t.client.xadd(keys.alerts, '*', ...alert('KEPT'));
    await t.client.xtrim(keys.alerts, 'MAXLEN', 1);
    const c = live('streams=alerts', { 'last-event-id': old! });
    await waitFor(() => c.messages.length === 2, { what: 'gap + kept' });
    expect(c.messages[0]!.event).toBe('gap');
    expect(c.messages[1]!.id).toBe(kept);
    c.conn.close();
  });

  it('drops a client that does not read, with a close reason, and keeps serving the others', async () => {
    const reading = live('streams=results');
    expect(await reading.conn.status).toBe(200);
    // A client that never reads its socket.
    const chunks: Buffer[] = [];
    let ended = false;
    const req = http.get(
      `${web.url}/v1/live?streams=results`,
      { headers: auth(VIEWER), agent: false },
      (res) => {
        res.pause();
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          ended = true;
        });
        res.on('close', () => {
          ended = true;
        });
        (req as unknown as { stalled: typeof res }).stalled = res;
      },
    );
    const droppedBefore = (await web.ctx.metrics.liveDropped.get()).values.reduce((a, v) => a + v.value, 0);
    const n0 = reading.messages.length;
    const big = 'x'.repeat(8000);
    let written = 0;
    await waitFor(
      async () => {
        for (let i = 0; i < 50; i++) {
          await t.client.xadd(keys.results, '*', ...result({ plate: `BIG${written++}`, model: big }));
        }
        const dropped = (await web.ctx.metrics.liveDropped.get()).values.reduce((a, v) => a + v.value, 0);
        return dropped > droppedBefore;
      },
      { what: 'the slow client dropped', timeoutMs: 30_000, intervalMs: 50 },
    );
    // Now read what the stalled client was sent: it ends with the close event.
    const stalled = (req as unknown as { stalled: http.IncomingMessage }).stalled;
    stalled.resume();
    await waitFor(() => ended, { what: 'the stalled connection ended', timeoutMs: 10_000 });
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toMatch(/event: close\ndata: \{"reason":"slow-client"/);
    // The reading client got every entry.
    await waitFor(() => reading.messages.length - n0 === written, {
      what: 'the reader kept up',
      timeoutMs: 20_000,
    });
    reading.conn.close();
  });

  it('ends live connections with reason shutting-down on close', async () => {
    const other = await startTestWeb({ ...web.ctx.config });
    const messages: SseMessage[] = [];
    const conn = openSse(`${other.url}/v1/live?streams=results`, auth(VIEWER), {
      onMessage: (m) => messages.push(m),
    });
    expect(await conn.status).toBe(200);
    await waitFor(() => other.ctx.hub.status().clients === 1, { what: 'subscription' });
    await other.close();
    await conn.ended;
    expect(messages.at(-1)).toMatchObject({ event: 'close' });
    expect(JSON.parse(messages.at(-1)!.data).reason).toBe('shutting-down');
  });
});
