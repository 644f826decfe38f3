import { describe, expect, it } from 'vitest';
import type { EventStage } from '../../events/stage.ts';
import { testStage } from '../../events/test/helpers.ts';
import { INGEST_DEFAULTS } from '../../ingest/config.ts';
import { FrameRouter } from '../../ingest/frame-router.ts';
import { decodeEvent } from '../../shared/codec/event-codec.ts';
import type { Frame } from '../../shared/codec/frame-codec.ts';
import { decodeResult } from '../../shared/codec/result-codec.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { closeRedis, createRedis, waitReady } from '../../shared/redis/connection.ts';
import { EVENTS_GROUP, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { TINY_JPEG, testWorker } from '../../worker/test/helpers.ts';
import type { Worker } from '../../worker/worker.ts';
import { canOwnCluster, uniquePrefix, clusterPerFile } from '../harness/index.ts';

const T0 = 1_760_000_000_000;

/**
 * Failover with the whole in-process pipeline (workers reading plates from frame metadata, one events
 * stage per partition): the master of partition 0 is SIGKILLed while frames flow, frames are admitted with
 * LPR_WAIT_REPLICAS=1 and retried with their idempotency key on 503s. Afterwards every admitted frame has
 * exactly one result and every car exactly one event, each camera's events in the order its cars passed.
 */
describe.skipIf(!canOwnCluster())('failover with events on a Redis Cluster', () => {
  const t = clusterPerFile();

  it('a master SIGKILLed mid-run: one result per admitted frame, one event per car, per-camera order kept', async () => {
    const config = { ...t.config(uniquePrefix('foe')), partitions: 6 };
    const parts = partitionsOf(config);
    const cameras = Array.from({ length: 12 }, (_, i) => `cam-${String(i + 1).padStart(2, '0')}`);
    const perCar = 8;
    const carsPerCamera = 4;
    const frames: (Frame & { key: string })[] = [];
    const carsOf = new Map<string, string[]>();
    for (let k = 0; k < carsPerCamera; k++)
      for (const [c, camera] of cameras.entries()) {
        const plate = `P${String(k * cameras.length + c).padStart(4, '0')}X`;
        carsOf.set(camera, [...(carsOf.get(camera) ?? []), plate]);
        for (let i = 0; i < perCar; i++)
          frames.push({
            camera,
            ts: T0 + k * 3000 + i * 150,
            mime: 'image/jpeg',
            img: TINY_JPEG,
            meta: { plate },
            key: `${camera}-${k}-${i}`,
          });
      }
    frames.sort((a, b) => a.ts - b.ts || a.camera.localeCompare(b.camera));

    const workers: Worker[] = [];
    const stages: EventStage[] = [];
    const producer = createRedis(config, 'producer', { name: 'foe-producer' });
    try {
      await waitReady(producer, 5000);
      for (let w = 0; w < 3; w++) workers.push(testWorker(config, { concurrency: 4, readCount: 8 }));
      for (let p = 0; p < parts.count; p++)
        stages.push(
          testStage(
            config,
            // Above the stall of a local failover (~2.5 s): a camera silent for longer than the idle flush
            // has its passes closed, so a longer stall splits a car into two events (docs/cluster.md).
            { partitions: parts.count, idleFlushMs: 6000, minTravel: 0 },
            { partition: { index: p, count: parts.count } },
          ),
        );
      await Promise.all([...workers.map((w) => w.start()), ...stages.map((s) => s.start())]);
      const router = new FrameRouter(producer, parts, {
        ...INGEST_DEFAULTS.backpressure,
        maxBacklog: 1_000_000,
        memoryBudgetBytes: 1024 ** 3,
        waitReplicas: 1,
        waitTimeoutMs: 800,
      });
      await router.ensureGroups();

      const admitted = new Map<string, string>(); // "<partition>/<frame id>" → camera
      let retries = 0;
      const add = async (f: Frame & { key: string }) => {
        const { key, ...frame } = f;
        const deadline = Date.now() + 60_000;
        for (;;) {
          try {
            const { id } = await router.add(frame, { idempotencyKey: key });
            admitted.set(`${parts.index(f.camera)}/${id}`, f.camera);
            return;
          } catch (err) {
            const retry =
              isPlatestreamError(err, 'REDIS_UNAVAILABLE') || isPlatestreamError(err, 'REPLICA_WAIT_TIMEOUT');
            if (!retry || Date.now() > deadline) throw err;
            retries++;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      const third = Math.floor(frames.length / 3);
      for (const f of frames.slice(0, third)) await add(f);
      const killed = await t.cluster.killMasterOf(parts.all[0]!.frames);
      // Frames keep coming while the replica takes over; the old master comes back as its replica.
      const restart = (async () => {
        await t.cluster.waitForFailover(parts.all[0]!.frames);
        await killed.start();
      })();
      for (const f of frames.slice(third)) await add(f);
      await restart;
      expect(admitted.size).toBe(frames.length);
      expect(retries).toBeGreaterThan(0);

      // Exactly one result per admitted frame, in its partition.
      await waitFor(
        async () => {
          const lens = await Promise.all(parts.all.map((k) => t.client.xlen(k.results)));
          return lens.reduce((a, b) => a + b, 0) >= frames.length;
        },
        { timeoutMs: 90_000, what: `${frames.length} results` },
      );
      const seen = new Map<string, number>();
      for (const [p, k] of parts.all.entries())
        for (const [rid, fields] of (await t.client.xrange(k.results, '-', '+')) as [string, string[]][]) {
          const key = `${p}/${decodeResult(rid, fields).frame}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      expect([...seen.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...seen.keys()].sort()).toEqual([...admitted.keys()].sort());

      // One event per car, each camera's in the order its cars passed.
      const events = await waitFor(
        async () => {
          const all: { camera: string; plate: string; frames: number }[] = [];
          for (const k of parts.all) {
            const pending = (await t.client.xpending(k.results, EVENTS_GROUP)) as [number];
            if (Number(pending[0]) !== 0 || (await t.client.hlen(k.eventsState)) !== 0) return undefined;
            for (const [id, fields] of (await t.client.xrange(k.events, '-', '+')) as [string, string[]][])
              all.push(decodeEvent(id, fields));
          }
          return all.length >= carsPerCamera * cameras.length ? all : undefined;
        },
        { timeoutMs: 90_000, what: 'one event per car, nothing open or pending' },
      );
      expect(events.map((e) => e.plate).sort()).toEqual([...carsOf.values()].flat().sort());
      expect(events.every((e) => e.frames === perCar)).toBe(true);
      for (const camera of cameras)
        expect(events.filter((e) => e.camera === camera).map((e) => e.plate)).toEqual(carsOf.get(camera));
      for (const k of parts.all)
        expect(Number(((await t.client.xpending(k.frames, WORKER_GROUP)) as [number])[0])).toBe(0);
    } finally {
      await Promise.allSettled([...workers.map((w) => w.close()), ...stages.map((s) => s.close())]);
      await closeRedis(producer);
    }
    await t.cleanup(config.prefix);
  }, 240_000);
});
