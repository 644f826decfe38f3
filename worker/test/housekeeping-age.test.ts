import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { frame, pushFrames, testWorker } from './helpers.ts';

describe('housekeeping age limits (privacy)', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('trims DLQ, alerts, events and the events index older than their limits, keeps newer ones, and sets the oldest-age gauge', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const now = Date.now();
    const hour = 3_600_000;
    // 5 entries 3 h old and 5 fresh ones in each stream (ids carry the time).
    for (const key of [keys.dlq, keys.alerts, keys.events]) {
      for (let i = 0; i < 5; i++) await t.client.xadd(key, `${now - 3 * hour}-${i}`, 'plate', `OLD${i}`);
      for (let i = 0; i < 5; i++) await t.client.xadd(key, '*', 'plate', `NEW${i}`);
    }
    await t.client.zadd(keys.eventsByTime, now - 3 * hour, 'OLD0:x:1-0', now, 'NEW0:y:2-0');
    await t.client.zadd(keys.eventsByPlate, 0, 'OLD0:x:1-0', 0, 'NEW0:y:2-0');
    await t.client.xgroup('CREATE', keys.frames, 'workers', '$', 'MKSTREAM');

    // Without limits nothing old is trimmed.
    const plain = testWorker(config, {
      housekeepingIntervalMs: 60_000,
      lockTtlMs: 120_000,
      consumer: 'plain',
    });
    expect((await plain.housekeepOnce()).leader).toBe(true);
    expect(await t.client.xlen(keys.dlq)).toBe(10);
    await plain.close();

    const w = testWorker(config, {
      housekeepingIntervalMs: 60_000,
      lockTtlMs: 120_000,
      ageLimits: { dlqRetentionMs: 2 * hour, alertsRetentionMs: 2 * hour, eventsRetentionMs: 2 * hour },
    });
    expect((await w.housekeepOnce()).leader).toBe(true);
    for (const key of [keys.dlq, keys.alerts, keys.events]) {
      const left = (await t.client.xrange(key, '-', '+')) as [string, string[]][];
      expect(left.map(([, f]) => f[1])).toEqual(['NEW0', 'NEW1', 'NEW2', 'NEW3', 'NEW4']);
    }
    expect(await t.client.zrange(keys.eventsByPlate, 0, -1)).toEqual(['NEW0:y:2-0']);
    expect(await t.client.zrange(keys.eventsByTime, 0, -1)).toEqual(['NEW0:y:2-0']);
    const metrics = await w.metrics.registry.metrics();
    expect(metrics).toMatch(/platestream_trimmed_by_age_total\{kind="dlq"\} 5/);
    const age = Number(/platestream_oldest_item_age_seconds\{kind="alerts"\} ([\d.]+)/.exec(metrics)?.[1]);
    expect(age).toBeLessThan(3600);
    await w.close();
    await t.cleanup(config.prefix);
  });

  it('under load: while a running worker completes 600 frames, its housekeeping trims what passes the age limits and nothing newer', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const now = Date.now();
    for (let i = 0; i < 50; i++) await t.client.xadd(keys.dlq, `${now - 7_200_000}-${i}`, 'plate', 'OLD');
    for (let i = 0; i < 50; i++) await t.client.xadd(keys.alerts, `${now - 7_200_000}-${i}`, 'plate', 'OLD');
    const w = testWorker(config, {
      ageLimits: { dlqRetentionMs: 3_600_000, alertsRetentionMs: 3_600_000, eventsRetentionMs: 3_600_000 },
    });
    await w.start();
    try {
      const frames = Array.from({ length: 600 }, (_, i) => frame(i % 3 === 0 ? { plate: `LOAD${i}` } : {}));
      const pushing = pushFrames(t.client, config.prefix, frames);
      // new dead letters and alerts arrive while the worker runs: they must stay
      for (let i = 0; i < 20; i++) {
        await t.client.xadd(keys.dlq, '*', 'plate', 'NEW');
        await t.client.xadd(keys.alerts, '*', 'plate', 'NEW');
      }
      await pushing;
      await waitFor(
        async () =>
          (await t.client.xlen(keys.results)) === 600 &&
          (await t.client.xlen(keys.dlq)) === 20 &&
          (await t.client.xlen(keys.alerts)) === 20,
        { timeoutMs: 120_000, what: '600 results and the old entries trimmed' },
      );
      for (const key of [keys.dlq, keys.alerts]) {
        const left = (await t.client.xrange(key, '-', '+')) as [string, string[]][];
        expect(left.every(([, f]) => f[1] === 'NEW')).toBe(true);
      }
    } finally {
      await w.close();
    }
    await t.cleanup(config.prefix);
  });
});
