import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { canOwnServer, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { frame, pushFrames, testWorker } from './helpers.ts';

/** A worker must shut down within its budget even while Redis is unreachable, and start() must settle. */
describe.skipIf(!canOwnServer())('worker during a Redis outage', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('close() finishes within the shutdown budget while Redis is down, and /metrics gauges do not hang', async () => {
    await t.server!.start();
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // Slow recognition so frames are in flight when Redis goes away.
    const w = testWorker(config, { shutdownTimeoutMs: 4000, concurrency: 2 }, { delayMs: 400 });
    await w.start();
    await pushFrames(t.client, config.prefix, [frame({ plate: 'O1' }), frame({ plate: 'O2' })]);
    await waitFor(async () => (await t.client.xpending(keys.frames, 'workers'))[0] === 2, {
      what: 'frames in flight',
    });
    await t.server!.kill();

    const scrapeStart = Date.now();
    const text = await w.metrics.registry.metrics();
    // The gauges' read is bounded (1 s): the scrape answers instead of waiting for Redis (generous bound).
    expect(Date.now() - scrapeStart).toBeLessThan(15_000);
    expect(text).toContain('platestream_worker_frames_processed_total');

    const started = Date.now();
    await w.close();
    // Within the 4 s shutdown budget plus a margin for a loaded machine; without the budget it never ends.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('start() settles when close() is called while Redis is unreachable', async () => {
    await t.server!.kill();
    const w = testWorker(t.config());
    const starting = w.start().then(
      () => 'started',
      () => 'failed',
    );
    // start() is now waiting on the unreachable Redis (group creation); close it right away.
    await w.close();
    expect(await Promise.race([starting, new Promise((r) => setTimeout(() => r('hung'), 3000))])).not.toBe(
      'hung',
    );
    await t.server!.start();
  });
});
