import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../shared/codec/event-codec.ts';
import { decodeResult } from '../../shared/codec/result-codec.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { EVENTS_GROUP, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { Partitions } from '../../shared/redis/partitions.ts';
import { parseGroupInfo } from '../../shared/redis/stream/index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { INGEST_DEFAULTS } from '../../ingest/config.ts';
import { FrameRouter } from '../../ingest/frame-router.ts';
import { migratePartitions } from '../../worker/partition-migrate.ts';
import { TINY_JPEG, testWorker } from '../../worker/test/helpers.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../harness/index.ts';
import { runPartitionedPipeline } from './pipeline-scenario.ts';
import { testStage } from '../../events/test/helpers.ts';

let t: TestRedis;
beforeAll(async () => {
  t = await useRedis();
});
afterAll(async () => {
  await t?.close();
});

/** Every result (camera, frame) and event (camera, plate, first ts) of a layout, with the partition it is in. */
async function snapshot(parts: Partitions) {
  const results: string[] = [];
  const events: string[] = [];
  for (const [p, k] of parts.all.entries()) {
    for (const [id, f] of (await t.client.xrange(k.results, '-', '+')) as [string, string[]][]) {
      const r = decodeResult(id, f);
      expect(parts.index(r.camera)).toBe(p);
      results.push(`${r.camera}/${r.ts}/${r.plate}`);
    }
    for (const [id, f] of (await t.client.xrange(k.events, '-', '+')) as [string, string[]][]) {
      const e = decodeEvent(id, f);
      expect(parts.index(e.camera)).toBe(p);
      events.push(`${e.camera}/${e.plate}/${e.firstTs}/${e.frames}`);
    }
  }
  return { results: results.sort(), events: events.sort() };
}

async function lagAndPending(stream: string, group: string): Promise<number> {
  const g = parseGroupInfo(await t.client.xinfo('GROUPS', stream)).find((x) => x.name === group);
  expect(g, `group ${group} on ${stream}`).toBeDefined();
  return g!.pending + (g!.lag ?? -1);
}

describe('platestream partitions migrate', () => {
  it('moves a drained 1-partition store to 3 partitions and back, losing and repeating nothing', async () => {
    const prefix = uniquePrefix('migr');
    const one = { ...t.config(prefix), partitions: 1 };
    await runPartitionedPipeline(t.client, one, { cameras: 5, frames: 240, workers: 2 });
    const before = await snapshot(new Partitions(prefix, 1));
    expect(before.results).toHaveLength(240);
    expect(before.events).toHaveLength(30);

    const report = await migratePartitions(t.client, prefix, { to: 3 });
    expect(report).toMatchObject({ from: 1, to: 3, moved: { results: 240, events: 30 } });
    const three = new Partitions(prefix, 3);
    expect(await t.client.get(three.global.partitionsMeta)).toBe('3');
    expect(await t.client.exists(three.global.results, three.global.events)).toBe(0);
    expect(await snapshot(three)).toEqual(before);
    for (const k of three.all) {
      expect(await lagAndPending(k.frames, WORKER_GROUP)).toBe(0);
      expect(await lagAndPending(k.results, EVENTS_GROUP)).toBe(0);
    }
    // The events index points at the moved events.
    const members = (await Promise.all(three.all.map((k) => t.client.zrange(k.eventsByPlate, 0, -1)))).flat();
    expect(members).toHaveLength(30);

    // A worker with the new count works on; one with the old count is refused.
    const config3 = { ...t.config(prefix), partitions: 3 };
    const w = testWorker(config3);
    await w.start();
    const router = new FrameRouter(t.client, three, INGEST_DEFAULTS.backpressure);
    await router.ensureGroups();
    for (let i = 0; i < 9; i++)
      await router.add({ camera: `cam-0${(i % 5) + 1}`, ts: Date.now(), mime: 'image/jpeg', img: TINY_JPEG });
    await waitFor(
      async () =>
        (await Promise.all(three.all.map((k) => t.client.xlen(k.results)))).reduce((a, b) => a + b) === 249,
      { what: '9 new results and no old frame read again' },
    );
    await w.close();
    const old = testWorker({ ...t.config(prefix), partitions: 1 });
    const err = await old.start().catch((e: unknown) => e);
    await old.close();
    expect(isPlatestreamError(err, 'PARTITIONS_MISMATCH')).toBe(true);

    // Back to one partition once the events stage has consumed the new results (refused before).
    const early = await migratePartitions(t.client, prefix, { to: 1 }).catch((e: unknown) => e);
    expect((early as Error).message).toMatch(/results not yet consumed by the events stage/);
    const stages = three.all.map((_, p) =>
      testStage(config3, { partitions: 3, minTravel: 0 }, { partition: { index: p, count: 3 } }),
    );
    await Promise.all(stages.map((s) => s.start()));
    await waitFor(
      async () =>
        (await Promise.all(three.all.map((k) => lagAndPending(k.results, EVENTS_GROUP)))).every(
          (n) => n === 0,
        ),
      { what: 'the events stage to consume the new results' },
    );
    await Promise.all(stages.map((s) => s.close()));
    const back = await migratePartitions(t.client, prefix, { to: 1 });
    expect(back.moved.results).toBe(249);
    const single = await snapshot(new Partitions(prefix, 1));
    expect(single.events).toEqual(before.events);
    expect(single.results).toHaveLength(249);
    expect(await t.client.get(three.global.partitionsMeta)).toBe('1');
    await t.cleanup(prefix);
  }, 120_000);

  it('refuses while frames are in flight or a worker is alive, and changes nothing', async () => {
    const prefix = uniquePrefix('migr-busy');
    const parts = new Partitions(prefix, 1);
    const router = new FrameRouter(t.client, parts, INGEST_DEFAULTS.backpressure);
    await router.ensureGroups();
    await router.add({ camera: 'cam-1', ts: Date.now(), mime: 'image/jpeg', img: TINY_JPEG });
    const err = await migratePartitions(t.client, prefix, { to: 4 }).catch((e: unknown) => e);
    expect(isPlatestreamError(err, 'USAGE')).toBe(true);
    expect((err as Error).message).toMatch(/1 frames not yet recognised .*group workers on .*:frames/);
    const w = testWorker({ ...t.config(prefix), partitions: 1 });
    await w.start();
    await waitFor(async () => (await t.client.xlen(parts.global.results)) === 1, { what: 'the frame done' });
    const err2 = await migratePartitions(t.client, prefix, { to: 4 }).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/1 worker\(s\) alive/);
    await w.close();
    expect(await t.client.get(parts.global.partitionsMeta)).toBe('1');
    expect(await t.client.xlen(parts.global.frames)).toBeGreaterThanOrEqual(0);
    await t.cleanup(prefix);
  });
});
