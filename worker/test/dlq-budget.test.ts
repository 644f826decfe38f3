import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { frame, pushFrames, testWorker } from './helpers.ts';

/** Issue 17 item 2: the DLQ keeps whole images, so it is capped by bytes as well as by entries. */
describe('DLQ byte cap', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('DLQ_MAX_BYTES: large dead-lettered frames push the oldest out; the newest stays', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const cap = 2 * 1024 * 1024;
    const w = testWorker(config, { dlqMaxBytes: cap, concurrency: 1, readCount: 1 });
    await w.start();
    const big = (i: number) => ({ ...frame({ fail: 'invalid', n: i }), img: Buffer.alloc(512 * 1024, i) });
    const ids = await pushFrames(
      t.client,
      config.prefix,
      Array.from({ length: 12 }, (_, i) => big(i)),
    );
    await waitFor(async () => Number(await t.client.hget(keys.counters, 'dead-lettered')) === 12, {
      timeoutMs: 30_000,
      what: '12 frames dead-lettered',
    });
    await w.close();
    const used = Number(await t.client.memory('USAGE', keys.dlq, 'SAMPLES', 0));
    const len = await t.client.xlen(keys.dlq);
    expect(len).toBeLessThan(12);
    expect(len).toBeGreaterThan(0);
    // The cap is checked after each add; one frame of slack.
    expect(used).toBeLessThanOrEqual(cap + 600 * 1024);
    const newest = (await t.client.xrevrange(keys.dlq, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const f = newest[0]![1];
    expect(f[f.indexOf('frame') + 1]).toBe(ids[11]);
    await t.cleanup(config.prefix);
  });
});
