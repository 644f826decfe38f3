import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResult } from '../../shared/codec/result-codec.ts';
import { keySlot } from '../../shared/redis/key-slot.ts';
import { Partitions, partitionsOf } from '../../shared/redis/partitions.ts';
import { migratePartitions } from '../../worker/partition-migrate.ts';
import { canOwnCluster, type TestRedisCluster, useRedisCluster } from '../harness/index.ts';
import { expectReadersSeeAllPartitions, runPartitionedPipeline } from './pipeline-scenario.ts';

/**
 * The partitioned pipeline on a real local Redis Cluster (3 masters + 3 replicas started from redis-server
 * binaries by the cluster harness): the same scenario and readers as on one Redis, then a migration
 * 6 → 3 partitions, whose temporary streams must land in their final slots.
 */
let c: TestRedisCluster;
beforeAll(async () => {
  if (canOwnCluster()) c = await useRedisCluster();
}, 60_000);
afterAll(async () => {
  await c?.close();
});

describe.skipIf(!canOwnCluster())('partitions on Redis Cluster', () => {
  it('2000 frames of 12 cameras over 6 partitions, 3 workers: one result per frame, events in camera order; readers and a migration to 3', async () => {
    const config = { ...c.config(), partitions: 6 };
    const parts = partitionsOf(config);
    // The six partitions really are spread over the masters.
    const slots = parts.all.map((k) => keySlot(k.frames));
    expect(new Set(slots).size).toBe(6);
    const masters = new Set(await Promise.all(parts.all.map((k) => c.cluster.masterPortForKey(k.frames))));
    expect(masters.size).toBeGreaterThan(1);

    const r = await runPartitionedPipeline(c.client, config, { cameras: 12, frames: 2000, workers: 3 });
    expect(r.events).toBe(250);
    await expectReadersSeeAllPartitions(c.client, config, 2000);

    const report = await migratePartitions(c.client, config.prefix, { to: 3, hashTag: true });
    expect(report.moved.results).toBe(2000);
    const three = new Partitions(config.prefix, 3, { hashTag: true });
    let total = 0;
    for (const [p, k] of three.all.entries())
      for (const [id, f] of (await c.client.xrange(k.results, '-', '+')) as [string, string[]][]) {
        expect(three.index(decodeResult(id, f).camera)).toBe(p);
        total++;
      }
    expect(total).toBe(2000);
    expect(await c.client.get(three.global.partitionsMeta)).toBe('3');
    await c.cleanup(config.prefix);
  }, 240_000);
});
