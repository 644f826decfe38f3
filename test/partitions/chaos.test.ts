import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResult } from '../../shared/codec/result-codec.ts';
import { COUNTER, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { INGEST_DEFAULTS } from '../../ingest/config.ts';
import { FrameRouter } from '../../ingest/frame-router.ts';
import {
  removeWorkerBundle,
  spawnWorker,
  WorkerChaos,
  type WorkerChild,
  workerCommand,
} from '../../worker/test/child.ts';
import { TINY_JPEG } from '../../worker/test/helpers.ts';
import { canOwnServer, killChildren, type TestRedis, useRedis } from '../harness/index.ts';

/**
 * Exactly-once across partitions under crashes: worker processes with LPR_PARTITIONS=6 are SIGKILLed while
 * frames of 12 cameras flow; the survivors reclaim the dead consumers' frames in every partition.
 */
describe.skipIf(!canOwnServer())('partitioned workers killed mid-frame', () => {
  let t: TestRedis;
  let cmd: string[];
  const children: WorkerChild[] = [];
  beforeAll(async () => {
    t = await useRedis({ appendonly: true });
    cmd = await workerCommand();
  });
  afterAll(async () => {
    await killChildren(children);
    await t.close();
    removeWorkerBundle();
  });

  it('2000 frames over 6 partitions while a worker is SIGKILLed every ~600 ms: one result per frame', async () => {
    const config = { ...t.config(), partitions: 6 };
    const parts = partitionsOf(config);
    const env = {
      LPR_PARTITIONS: '6',
      TEST_RECOGNIZER_DELAY_MS: '40',
      WORKER_CONCURRENCY: '8',
      WORKER_MAX_DELIVERIES: '50',
    };
    const chaos = new WorkerChaos({
      start: (name) => spawnWorker(cmd, config, name, env),
      namePrefix: 'pchaos',
      count: 3,
      everyMs: 600,
      children,
    });

    const router = new FrameRouter(t.client, parts, INGEST_DEFAULTS.backpressure);
    await router.ensureGroups();
    const expected = new Map<string, string>(); // "<p>/<frame id>" → plate
    const total = 2000;
    const results = async () =>
      (await Promise.all(parts.all.map((k) => t.client.xlen(k.results)))).reduce((a, b) => a + b, 0);
    try {
      for (let i = 0; i < total; i++) {
        const camera = `cam-${i % 12}`;
        const plate = `K${i}`;
        const { id } = await router.add({
          camera,
          ts: Date.now(),
          mime: 'image/jpeg',
          img: TINY_JPEG,
          meta: { plate },
        });
        expected.set(`${parts.index(camera)}/${id}`, plate);
        if (i % 25 === 24) {
          await waitFor(async () => (await results()) >= i - 300, { timeoutMs: 20_000 });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      chaos.stop();
    }
    const pending = async () => {
      let n = 0;
      for (const k of parts.all)
        n += Number(((await t.client.xpending(k.frames, WORKER_GROUP)) as [number])[0]);
      return n;
    };
    await waitFor(async () => (await results()) >= total && (await pending()) === 0, {
      what: 'every frame completed after the kills',
      timeoutMs: 60_000,
    });
    expect(chaos.kills).toBeGreaterThanOrEqual(5);
    const seen = new Map<string, number>();
    for (const [p, k] of parts.all.entries())
      for (const [rid, f] of (await t.client.xrange(k.results, '-', '+')) as [string, string[]][]) {
        const r = decodeResult(rid, f);
        const key = `${p}/${r.frame}`;
        expect(r.plate).toBe(expected.get(key));
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(seen.size).toBe(total);
    let reclaimed = 0;
    for (const k of parts.all) reclaimed += Number((await t.client.hget(k.counters, COUNTER.reclaimed)) ?? 0);
    expect(reclaimed).toBeGreaterThan(0);
    for (const c of chaos.workers) c.proc.kill('SIGTERM');
    await t.cleanup(config.prefix);
  }, 180_000);
});
