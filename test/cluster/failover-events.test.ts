import { describe, expect, it } from 'vitest';
import type { FrameRouter } from '../../ingest/frame-router.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { canOwnCluster, clusterPerFile, uniquePrefix } from '../harness/index.ts';
import { runPartitionedPipeline, type ScenarioFrame } from '../partitions/pipeline-scenario.ts';

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
    const perCar = 8;
    let retries = 0;
    // Admits a frame, retrying with its idempotency key while the partition's master fails over.
    const add = async (router: FrameRouter, admitted: Map<string, string>, f: ScenarioFrame) => {
      const { car: _car, key, ...frame } = f;
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const { id } = await router.add(frame, { idempotencyKey: key });
          admitted.set(`${router.parts.index(f.camera)}/${id}`, f.camera);
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
    const r = await runPartitionedPipeline(t.client, config, {
      cameras: 12,
      frames: 12 * 4 * perCar, // 4 cars per camera
      workers: 3,
      framesPerCar: perCar,
      // Above the stall of a local failover (~2.5 s): a camera silent for longer than the idle flush
      // has its passes closed, so a longer stall splits a car into two events (docs/cluster.md).
      idleFlushMs: 6000,
      backpressure: { waitReplicas: 1, waitTimeoutMs: 800 },
      admit: async (router, frames) => {
        const admitted = new Map<string, string>(); // "<partition>/<frame id>" → camera
        const third = Math.floor(frames.length / 3);
        for (const f of frames.slice(0, third)) await add(router, admitted, f);
        const victim = router.parts.all[0]!.frames;
        const killed = await t.cluster.killMasterOf(victim);
        // Frames keep coming while the replica takes over; the old master comes back as its replica.
        const restart = (async () => {
          await t.cluster.waitForFailover(victim);
          await killed.start();
        })();
        for (const f of frames.slice(third)) await add(router, admitted, f);
        await restart;
        return admitted;
      },
    });
    expect(retries).toBeGreaterThan(0);
    expect(r.framesPerEvent.every((n) => n === perCar)).toBe(true);
    await t.cleanup(config.prefix);
  }, 240_000);
});
