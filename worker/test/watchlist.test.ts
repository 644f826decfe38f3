import { ALERT_DEFAULTS } from '../../alerts/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSightings } from '../../shared/redis/plate-index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  silentLogger,
  type TestPostgres,
  type TestRedis,
  usePostgres,
  useRedis,
} from '../../test/harness/index.ts';
import { entry, freshWatchlist } from '../../watchlist/test/fixtures.ts';
import { TestRecognizer } from './test-recognizer.ts';
import { watchlistEnrichHook } from '../watchlist-hook.ts';
import { Worker } from '../worker.ts';
import { frame, pushFrames, readStream, testOptions } from './helpers.ts';

describe('worker + watchlist (real PostgreSQL and Redis)', () => {
  let pgt: TestPostgres;
  let t: TestRedis;
  beforeAll(async () => {
    [pgt, t] = await Promise.all([usePostgres(), useRedis()]);
  });
  afterAll(async () => {
    await Promise.all([pgt?.close(), t?.close()]);
  });

  it('tags every result and (LPR_ALERT_SOURCE=frames) writes one alert per camera and watched plate, atomically with the result', async () => {
    const w = await freshWatchlist(pgt, t);
    await w.admin.add(entry('AB123CD', { label: 'stolen' }));
    const worker = new Worker({
      redis: w.redisConfig,
      options: testOptions(),
      recognizer: new TestRecognizer(),
      logger: silentLogger,
      enrichHook: watchlistEnrichHook((await w.lookup({ fuzzyDistance: 1 })).lookup, {
        ...ALERT_DEFAULTS,
        source: 'frames',
      }),
    });
    try {
      await worker.start();
      const ids = await pushFrames(t.client, w.redisConfig.prefix, [
        frame({ plate: 'AB123CD' }, 'cam-1'),
        frame({ plate: 'AB123CD' }, 'cam-1'),
        frame({ plate: 'AB123CE' }, 'cam-2'),
        frame({ plate: 'ZZ999' }, 'cam-1'),
        frame({}, 'cam-1'),
      ]);
      const results = await waitFor(
        async () => {
          const rows = await readStream(t.client, w.keys.results);
          return rows.length === ids.length ? rows : undefined;
        },
        { what: 'five results' },
      );
      const byFrame = new Map(results.map((r) => [r.fields.frame, r.fields]));
      expect(ids.map((id) => byFrame.get(id)?.watchlist)).toEqual([
        'hit',
        'hit',
        'hit-fuzzy',
        'miss',
        undefined,
      ]);

      const alerts = await readStream(t.client, w.keys.alerts);
      expect(
        alerts.map((a) => [a.fields.camera, a.fields.plate, a.fields.watchPlate, a.fields.fuzzy]),
      ).toEqual([
        ['cam-1', 'AB123CD', 'AB123CD', '0'],
        ['cam-2', 'AB123CE', 'AB123CD', '1'],
      ]);
      expect(alerts[0]!.fields).toMatchObject({ label: 'stolen', frame: ids[0] });

      // Every plate read lands in the per-plate sighting index (`platestream results plate`).
      const sightings = await readSightings(t.client, w.keys, 'AB123CD');
      expect(sightings.map((s) => s.camera)).toEqual(['cam-1', 'cam-1']);
    } finally {
      await worker.close();
      await w.close();
    }
  });
});
