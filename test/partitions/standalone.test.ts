import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { readRedisConfig } from '../../shared/config/redis-config.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { cameraPartition, checkPartitions, Partitions } from '../../shared/redis/partitions.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../harness/index.ts';
import { testWorker } from '../../worker/test/helpers.ts';
import { runPartitionedPipeline } from './pipeline-scenario.ts';
import type { RedisConfig } from '../../shared/config/redis-config.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { compareIds } from '../../shared/redis/stream/index.ts';
import { parsePartitionedId, partitionedId } from '../../shared/redis/stream/merged.ts';
import { tailPartitions } from '../../shared/redis/stream/partitioned-tail.ts';
import { compileSearch, searchAll, searchPage } from '../../web/search.ts';
import { SOURCES } from '../../web/sources.ts';
import { listDlq, requeueDlqEntry } from '../../worker/dlq.ts';
import { collectStats } from '../../worker/stats.ts';

let t: TestRedis;
beforeAll(async () => {
  t = await useRedis();
});
afterAll(async () => {
  await t?.close();
});

/** stats, the web search pages (cursor across partitions), tails and the DLQ see every partition. */
async function expectReadersSeeAllPartitions(config: RedisConfig): Promise<void> {
  const parts = partitionsOf(config);
  const stats = await collectStats(t.client, parts);
  expect(stats.results.length).toBe(2000);
  expect(stats.partitions).toBe(6);
  expect(stats.byPartition!.map((b) => b.results)).toEqual(
    await Promise.all(parts.all.map((k) => t.client.xlen(k.results))),
  );
  expect(stats.consumers.filter((c) => c.alive).length).toBeLessThanOrEqual(3);

  // /v1/results: pages of 170 follow `next` through all 2000 results, newest first, none twice or skipped.
  const streams = parts.all.map((k) => k.results);
  const plan = compileSearch({ withEmpty: true }, { allowEmpty: true });
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await searchPage(
      t.client,
      streams,
      SOURCES.results,
      compileSearch({ withEmpty: true, cursor }, { allowEmpty: true }),
      { limit: 170, maxScan: 10_000 },
    );
    ids.push(...page.items.map((i) => (i as { id: string }).id));
    cursor = page.next ?? undefined;
  } while (cursor);
  expect(ids).toHaveLength(2000);
  expect(new Set(ids).size).toBe(2000);
  const key = (s: string) => {
    const p = parsePartitionedId(s)!;
    return [p.id, p.partition!] as const;
  };
  for (let i = 1; i < ids.length; i++) {
    const [a, pa] = key(ids[i - 1]!);
    const [b, pb] = key(ids[i]!);
    expect(compareIds(a, b) > 0 || (a === b && pa > pb), `${ids[i - 1]} before ${ids[i]}`).toBe(true);
  }
  // The CSV export (searchAll) reads the same merged order.
  const all: string[] = [];
  for await (const i of searchAll(t.client, streams, SOURCES.results, plan, 5000))
    all.push((i as { id: string }).id);
  expect(all).toEqual(ids);
  // results tail --no-follow: oldest first, the exact reverse.
  const tailed: string[] = [];
  for await (const e of tailPartitions(config, t.client, streams, { follow: false, keep: () => true }))
    tailed.push(partitionedId(e.id, e.partition, parts.count));
  expect(tailed).toEqual([...ids].reverse());

  // Two dead letters with the same stream id in two partitions: both listed, shown and requeued apart.
  const [k1, k4] = [parts.all[1]!, parts.all[4]!];
  for (const k of [k1, k4])
    await t.client.xadd(k.dlq, '5-1', 'camera', 'x', 'mime', 'image/jpeg', 'img', 'abc');
  const listed = await listDlq(t.client, parts);
  expect(listed.map((e) => e.id)).toEqual(['5-1@1', '5-1@4']);
  expect((await listDlq(t.client, parts, { after: '5-1@1' })).map((e) => e.id)).toEqual(['5-1@4']);
  const back = await requeueDlqEntry(t.client, parts, '5-1@4');
  expect(back.frameId).toMatch(/@4$/);
  expect(await t.client.xlen(k4.dlq)).toBe(0);
  expect(await t.client.xlen(k1.dlq)).toBe(1);
}

describe('partitions (LPR_PARTITIONS) on one Redis', () => {
  it('LPR_PARTITIONS=1 is the single-node layout, key for key', () => {
    const [k] = new Partitions('lpr', 1).all;
    const plain = new StreamKeys('lpr');
    // Every key a pipeline process writes, as it was named before partitions existed.
    expect([
      k!.frames,
      k!.results,
      k!.dlq,
      k!.alerts,
      k!.events,
      k!.counters,
      k!.workerHeartbeats,
      k!.housekeepingLock,
      k!.fencingCounter,
      k!.eventsState,
      k!.eventsLock,
      k!.eventsByPlate,
      k!.eventsByTime,
      k!.erasures,
      k!.idempotency('cam-1', 'k1'),
      k!.plateIndex('AB123'),
      k!.alertWindow('cam-1', 'AB123'),
      k!.staticReference('cam-1'),
    ]).toEqual([
      'lpr:frames',
      'lpr:results',
      'lpr:dlq',
      'lpr:alerts',
      'lpr:events',
      'lpr:counters',
      'lpr:workers:alive',
      'lpr:lock:housekeeping',
      'lpr:lock:fence',
      'lpr:events:state',
      'lpr:lock:events',
      'lpr:events:by-plate',
      'lpr:events:by-time',
      'lpr:erasures',
      'lpr:idem:cam-1:k1',
      'lpr:plate:AB123',
      'lpr:alert-window:cam-1:AB123',
      'lpr:static:cam-1',
    ]);
    expect(k).toEqual(plain);
    expect(readRedisConfig(new EnvReader({})).partitions).toBe(1);
  });

  it('maps a camera to one partition by FNV-1a of its id, every key of a partition in one hash slot', () => {
    const parts = new Partitions('lpr', 6);
    expect(parts.all.map((k) => k.frames)).toEqual([0, 1, 2, 3, 4, 5].map((p) => `lpr:{${p}}:frames`));
    // FNV-1a 32 of "cam-1" is 0x3b7d4b1e... fixed by the algorithm, not by this code: recompute by hand.
    let h = 0x811c9dc5;
    for (const c of 'cam-1') h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    expect(cameraPartition('cam-1', 6)).toBe(h % 6);
    expect(parts.of('cam-1')).toBe(parts.all[h % 6]);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 600; i++) counts[parts.index(`camera-${i}`)]++;
    expect(Math.min(...counts)).toBeGreaterThan(60); // spread, not all in one
    const k = parts.all[3]!;
    const tags = [k.frames, k.results, k.dlq, k.alerts, k.events, k.counters, k.eventsState, k.eventsLock]
      .concat([k.housekeepingLock, k.fencingCounter, k.workerHeartbeats, k.eventsByPlate, k.eventsByTime])
      .concat([k.idempotency('c', 'x'), k.plateIndex('AB1'), k.alertWindow('c', 'AB1'), k.erasures])
      .map((key) => /\{([^}]*)\}/.exec(key)?.[1]);
    expect(new Set(tags)).toEqual(new Set(['3']));
  });

  it('2000 frames of 12 cameras over 6 partitions, 3 workers: one result per frame, events in camera order', async () => {
    const config = { ...t.config(uniquePrefix('part6')), partitions: 6 };
    const r = await runPartitionedPipeline(t.client, config, { cameras: 12, frames: 2000, workers: 3 });
    expect(r.events).toBe(250);
    expect(r.resultsPerPartition.filter((n) => n > 0).length).toBeGreaterThan(3);
    await expectReadersSeeAllPartitions(config);
    await t.cleanup(config.prefix);
  }, 180_000);

  it('a process started with another partition count than the data refuses to run, naming LPR_PARTITIONS', async () => {
    const prefix = uniquePrefix('partmeta');
    const one = testWorker({ ...t.config(prefix), partitions: 1 });
    await one.start();
    await one.close();
    expect(await t.client.get(new StreamKeys(prefix).partitionsMeta)).toBe('1');
    const six = testWorker({ ...t.config(prefix), partitions: 6 });
    const err = await six.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await six.close();
    expect(isPlatestreamError(err, 'PARTITIONS_MISMATCH')).toBe(true);
    expect(String((err as Error).message)).toMatch(
      /LPR_PARTITIONS=6 .* 1 partition\b.*LPR_PARTITIONS=1.*partitions migrate --to 6/,
    );

    // A store written before the meta key existed counts as one partition when its plain streams exist.
    const old = uniquePrefix('partold');
    await t.client.xadd(new StreamKeys(old).results, '*', 'frame', '1-0');
    const err2 = await checkPartitions(t.client, new Partitions(old, 4)).catch((e: unknown) => e);
    expect(isPlatestreamError(err2, 'PARTITIONS_MISMATCH')).toBe(true);
    await Promise.all([t.cleanup(prefix), t.cleanup(old)]);
  });
});
