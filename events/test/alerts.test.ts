import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_DEFAULTS } from '../../alerts/index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestPostgres, type TestRedis, usePostgres, useRedis } from '../../test/harness/index.ts';
import { entry, freshWatchlist } from '../../watchlist/test/fixtures.ts';
import { carResults, pushResults, readEvents, T0, testStage } from './helpers.ts';

describe('alerts per pass (real PostgreSQL and Redis)', () => {
  let pgt: TestPostgres;
  let t: TestRedis;
  beforeAll(async () => {
    [pgt, t] = await Promise.all([usePostgres(), useRedis()]);
  });
  afterAll(async () => {
    await Promise.all([pgt?.close(), t?.close()]);
  });

  it('writes one alert per vehicle pass on the voted plate, with the event id', async () => {
    const w = await freshWatchlist(pgt, t);
    await w.admin.add(entry('AB123CD', { label: 'stolen' }));
    const { lookup } = await w.lookup({ fuzzyDistance: 1 });
    const stage = testStage(w.redisConfig, {}, { lookup, alerts: ALERT_DEFAULTS });
    try {
      await stage.start();
      // Eight frames of the watched car (one misread), then a car not on the list; a frames-level alert
      // source would have written an alert per camera and plate window instead.
      await pushResults(t.client, w.redisConfig.prefix, [
        ...carResults('cam-1', 'AB123CD', T0, 8, { misread: { 2: 'AB128CD' } }),
        ...carResults('cam-1', 'ZZ999Q', T0 + 6000, 6),
      ]);
      const events = await waitFor(
        async () => {
          const ev = await readEvents(t.client, w.redisConfig.prefix);
          return ev.length === 2 ? ev : undefined;
        },
        { timeoutMs: 20_000, what: 'two events' },
      );
      expect(events.map((e) => [e.plate, e.watchlist])).toEqual([
        ['AB123CD', 'hit'],
        ['ZZ999Q', 'miss'],
      ]);
      const alerts = (await t.client.xrange(w.keys.alerts, '-', '+')) as [string, string[]][];
      expect(alerts).toHaveLength(1);
      const fields = Object.fromEntries(
        alerts[0]![1].flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1]]] : [])),
      ) as Record<string, string>;
      expect(fields).toMatchObject({
        plate: 'AB123CD',
        watchPlate: 'AB123CD',
        camera: 'cam-1',
        label: 'stolen',
        event: events[0]!.id,
        frame: events[0]!.bestFrame,
        ts: String(T0),
      });
    } finally {
      await stage.close();
      await w.close();
    }
  });
});
