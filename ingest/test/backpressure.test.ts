import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER, StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { type IngestService, startIngest } from '../service.ts';
import { jpegOfSize, postFrame, TOKEN_A, testIngestConfig } from './helpers.ts';

const MiB = 1024 * 1024;

describe('backpressure', () => {
  let t: TestRedis;
  const services: IngestService[] = [];

  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    for (const s of services) {
      await s.close();
      await t.cleanup(s.app.ingest.keys.prefix);
    }
    await t.close();
  });

  async function start(env: Record<string, string>) {
    const svc = await startIngest(testIngestConfig(t, env), { logger: silentLogger });
    services.push(svc);
    return { svc, keys: new StreamKeys(svc.app.ingest.keys.prefix) };
  }

  /** Acts like a worker: read `n` frames for one consumer, ack them and trim them away. */
  async function consume(keys: StreamKeys, n: number, ack = true): Promise<string[]> {
    const reply = (await t.client.xreadgroup(
      'GROUP',
      WORKER_GROUP,
      'w1',
      'COUNT',
      n,
      'STREAMS',
      keys.frames,
      '>',
    )) as [string, [string, string[]][]][] | null;
    const ids = reply?.[0]?.[1].map(([id]) => id) ?? [];
    if (ack && ids.length) {
      await t.client.xack(keys.frames, WORKER_GROUP, ...ids);
      await t.client.xdel(keys.frames, ...ids);
    }
    return ids;
  }

  it('reject: 503 + Retry-After once the backlog reaches the limit; admits again when workers catch up', async () => {
    const { svc, keys } = await start({ LPR_MAX_BACKLOG: '5', LPR_RETRY_AFTER_S: '3' });
    const img = await jpegOfSize(2000);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 503, 503, 503]);
    const res = await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.body.error).toMatchObject({
      code: 'BACKPRESSURE',
      message: expect.stringMatching(/backlog 5 >= 5/),
    });
    expect(await t.client.xlen(keys.frames)).toBe(5);

    // Delivered but unacknowledged frames still count (pending) ...
    await consume(keys, 2, false);
    expect((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status).toBe(503);
    // ... acknowledged ones do not.
    await t.client.xack(
      keys.frames,
      WORKER_GROUP,
      ...(await t.client.xrange(keys.frames, '-', '+', 'COUNT', 2)).map(([id]) => id),
    );
    expect((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status).toBe(202);
    expect((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status).toBe(202);
    expect((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status).toBe(503);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/platestream_ingest_frames_rejected_total\{reason="BACKPRESSURE"\} 6/);
  });

  it('reject: the memory budget bounds the stream even when the backlog limit is far away', async () => {
    const { svc, keys } = await start({ LPR_MAX_BACKLOG: '100000', LPR_STREAM_MEMORY_BUDGET: '1MB' });
    const img = await jpegOfSize(100 * 1024);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 20; i++) {
      const res = await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A });
      if (res.status === 202) accepted++;
      else {
        expect(res.status).toBe(503);
        expect(res.body.error?.message).toMatch(/budget is 1048576/);
        rejected++;
      }
    }
    expect(accepted).toBeGreaterThanOrEqual(8);
    expect(accepted).toBeLessThanOrEqual(10);
    expect(rejected).toBe(20 - accepted);
    const mem = Number(await t.client.memory('USAGE', keys.frames));
    expect(mem).toBeLessThanOrEqual(1.1 * MiB);
  });

  it('drop-oldest: admits every frame, deletes the oldest undelivered ones, counts each drop, never touches pending', async () => {
    const { svc, keys } = await start({ LPR_MAX_BACKLOG: '10', LPR_BACKPRESSURE_POLICY: 'drop-oldest' });
    const img = await jpegOfSize(2000);
    const post = async (seq: number) => {
      const r = await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A, query: `seq=${seq}` });
      expect(r.status).toBe(202);
      return r.body.id!;
    };
    for (let i = 0; i < 4; i++) await post(i);
    // A worker takes 4 frames and is still working on them (pending).
    const pendingIds = await consume(keys, 4, false);
    expect(pendingIds).toHaveLength(4);
    for (let i = 4; i < 40; i++) await post(i);

    // Backlog = 4 pending + 6 undelivered; the 30 oldest undelivered frames were dropped.
    const dropped = Number(await t.client.hget(keys.counters, COUNTER.droppedOldest));
    expect(dropped).toBe(30);
    const left = await t.client.xrange(keys.frames, '-', '+');
    expect(left.map(([id]) => id).slice(0, 4)).toEqual(pendingIds);
    // Dropped frames are skipped by the group's cursor; what is still to be delivered are the 6 newest.
    const groups = (await t.client.xinfo('GROUPS', keys.frames)) as unknown[][];
    const g = groups[0]!;
    const lastDelivered = String(g[g.indexOf('last-delivered-id') + 1]);
    const [ldMs, ldSeq] = lastDelivered.split('-').map(Number) as [number, number];
    const undelivered = left.filter(([id]) => {
      const [ms, seq] = id.split('-').map(Number) as [number, number];
      return ms > ldMs || (ms === ldMs && seq > ldSeq);
    });
    const seqs = undelivered.map(([, f]) => Number(f[f.indexOf('seq') + 1]));
    expect(seqs).toEqual([34, 35, 36, 37, 38, 39]);
    // Every dropped frame is deleted but the last one, which the next drop deletes.
    expect(left.length - 4 - 6).toBeLessThanOrEqual(1);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/platestream_ingest_frames_dropped_total 30/);

    // Workers see the survivors in order; deleted frames are simply not delivered.
    const next = await consume(keys, 100);
    expect(next).toHaveLength(6);
  });

  it('drop-oldest: the memory budget bounds Redis memory and every dropped frame is counted', async () => {
    const { svc, keys } = await start({
      LPR_MAX_BACKLOG: '100000',
      LPR_BACKPRESSURE_POLICY: 'drop-oldest',
      LPR_STREAM_MEMORY_BUDGET: '1MB',
    });
    const img = await jpegOfSize(100 * 1024);
    const n = 30;
    for (let i = 0; i < n; i++) {
      expect((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status).toBe(202);
    }
    const len = await t.client.xlen(keys.frames);
    const dropped = Number(await t.client.hget(keys.counters, COUNTER.droppedOldest));
    // Every dropped frame is deleted but the last one, which the next drop deletes.
    expect(len + dropped - n).toBeGreaterThanOrEqual(0);
    expect(len + dropped - n).toBeLessThanOrEqual(1);
    expect(dropped).toBeGreaterThanOrEqual(n - 10);
    const mem = Number(await t.client.memory('USAGE', keys.frames));
    expect(mem).toBeLessThanOrEqual(1.1 * MiB);
  });
});
