import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { frame, groupPending, pushFrames, testWorker } from './helpers.ts';

describe('housekeeping', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('trims only below the oldest entry any group still needs (pending or undelivered)', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const ids = await pushFrames(
      t.client,
      config.prefix,
      Array.from({ length: 10 }, () => frame()),
    );
    await t.client.xgroup('CREATE', keys.frames, WORKER_GROUP, '0');
    await t.client.xgroup('CREATE', keys.frames, 'archive', '0');
    // workers: 0..5 delivered, 0..1 and 3..5 acknowledged, 2 still pending.
    await t.client.xreadgroup('GROUP', WORKER_GROUP, 'x', 'COUNT', 6, 'STREAMS', keys.frames, '>');
    await t.client.xack(keys.frames, WORKER_GROUP, ids[0]!, ids[1]!, ids[3]!, ids[4]!, ids[5]!);
    // archive: 0..7 delivered and acknowledged; 8, 9 undelivered.
    await t.client.xreadgroup('GROUP', 'archive', 'y', 'COUNT', 8, 'STREAMS', keys.frames, '>');
    await t.client.xack(keys.frames, 'archive', ...ids.slice(0, 8));

    const w = testWorker(config, { housekeepingIntervalMs: 60_000, lockTtlMs: 120_000 });
    const r1 = await w.housekeepOnce();
    expect(r1).toMatchObject({ leader: true, trimmed: 2, minId: ids[2] });
    expect(await t.client.xlen(keys.frames)).toBe(8);

    await t.client.xack(keys.frames, WORKER_GROUP, ids[2]!);
    const r2 = await w.housekeepOnce();
    expect(r2).toMatchObject({ trimmed: 4, minId: ids[6] }); // workers has not seen 6 yet
    await t.client.xreadgroup('GROUP', WORKER_GROUP, 'x', 'COUNT', 10, 'STREAMS', keys.frames, '>');
    await t.client.xack(keys.frames, WORKER_GROUP, ...ids.slice(6));
    const r3 = await w.housekeepOnce();
    expect(r3).toMatchObject({ trimmed: 2, minId: ids[8] }); // archive has not seen 8 and 9
    await t.client.xreadgroup('GROUP', 'archive', 'y', 'COUNT', 10, 'STREAMS', keys.frames, '>');
    await t.client.xack(keys.frames, 'archive', ids[8]!, ids[9]!);
    const r4 = await w.housekeepOnce();
    expect(r4.trimmed).toBe(2);
    expect(await t.client.xlen(keys.frames)).toBe(0);
    await w.close();
    await t.cleanup(config.prefix);
  });

  it('keeps acknowledged frames younger than LPR_FRAME_RETENTION_MS, trims older ones', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // Two old frames (explicit ids an hour back) and two new ones, all acknowledged.
    const old = Date.now() - 3_600_000;
    await t.client.xadd(keys.frames, `${old}-0`, 'camera', 'c', 'ts', '1', 'mime', 'image/jpeg', 'img', 'x');
    await t.client.xadd(keys.frames, `${old}-1`, 'camera', 'c', 'ts', '1', 'mime', 'image/jpeg', 'img', 'x');
    await pushFrames(t.client, config.prefix, [frame(), frame()]);
    await t.client.xgroup('CREATE', keys.frames, WORKER_GROUP, '0');
    const read = (await t.client.xreadgroup(
      'GROUP',
      WORKER_GROUP,
      'x',
      'COUNT',
      10,
      'STREAMS',
      keys.frames,
      '>',
    )) as [string, [string, string[]][]][];
    await t.client.xack(keys.frames, WORKER_GROUP, ...read[0]![1].map(([id]) => id));

    const w = testWorker(config, {
      housekeepingIntervalMs: 60_000,
      lockTtlMs: 120_000,
      frameRetentionMs: 600_000,
    });
    const r = await w.housekeepOnce();
    expect(r.trimmed).toBe(2);
    expect(await t.client.xlen(keys.frames)).toBe(2);
    await w.close();
    await t.cleanup(config.prefix);
  });

  it('removes idle consumers that own nothing, never one with pending entries', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    await pushFrames(t.client, config.prefix, [frame(), frame()]);
    await t.client.xgroup('CREATE', keys.frames, WORKER_GROUP, '0');
    await t.client.xreadgroup('GROUP', WORKER_GROUP, 'owns-one', 'COUNT', 1, 'STREAMS', keys.frames, '>');
    await t.client.xgroup('CREATECONSUMER', keys.frames, WORKER_GROUP, 'idle-empty');
    const w = testWorker(config, { housekeepingIntervalMs: 60_000, lockTtlMs: 120_000, consumerIdleMs: 200 });
    expect((await w.housekeepOnce()).removed).toEqual([]);
    // Once both have been idle for consumerIdleMs, only the one that owns nothing goes.
    const removed = await waitFor(async () => {
      const r = (await w.housekeepOnce()).removed;
      return r.length > 0 ? r : undefined;
    });
    expect(removed).toEqual(['idle-empty']);
    const names = ((await t.client.xinfo('CONSUMERS', keys.frames, WORKER_GROUP)) as unknown[][]).map(
      (c) => c[1],
    );
    expect(names).toEqual(['owns-one']);
    await w.close();
    await t.cleanup(config.prefix);
  });

  it('a long run with trimming keeps the frames stream bounded', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const workers = [
      testWorker(config, { concurrency: 16, readCount: 64 }),
      testWorker(config, { concurrency: 16, readCount: 64 }),
    ];
    await Promise.all(workers.map((w) => w.start()));
    const total = 4000;
    let maxLen = 0;
    for (let i = 0; i < total; i += 200) {
      await pushFrames(
        t.client,
        config.prefix,
        Array.from({ length: 200 }, () => frame({ plate: 'T1' })),
      );
      maxLen = Math.max(maxLen, await t.client.xlen(keys.frames));
      await waitFor(async () => (await t.client.xlen(keys.results)) >= i, { what: 'workers to keep up' });
    }
    await waitFor(async () => (await t.client.xlen(keys.results)) === total, {
      what: 'all results',
      timeoutMs: 20_000,
    });
    await waitFor(async () => (await t.client.xlen(keys.frames)) === 0, { what: 'stream trimmed to empty' });
    await Promise.all(workers.map((w) => w.close()));
    // Without trimming it would reach 4000; the bound leaves room for a housekeeping round delayed by load.
    expect(maxLen).toBeLessThan(2000);
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    const info = (await t.client.xinfo('STREAM', keys.frames)) as unknown[];
    expect(info[info.indexOf('entries-added') + 1]).toBe(total);
    await t.cleanup(config.prefix);
  });
});
