import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { testWorker } from './helpers.ts';

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
});
