import type { RedisClient } from '../../shared/redis/connection.ts';
import { expect } from 'vitest';
import { decodeEvent, type EventRecord } from '../../shared/codec/event-codec.ts';
import type { Frame } from '../../shared/codec/frame-codec.ts';
import { decodeResult } from '../../shared/codec/result-codec.ts';
import type { RedisConfig } from '../../shared/config/redis-config.ts';
import { closeRedis, createRedis, waitReady } from '../../shared/redis/connection.ts';
import { EVENTS_GROUP, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { compareIds } from '../../shared/redis/stream/index.ts';
import { parsePartitionedId, partitionedId } from '../../shared/redis/stream/merged.ts';
import { tailPartitions } from '../../shared/redis/stream/partitioned-tail.ts';
import { compileSearch, searchAll, searchPage } from '../../web/search.ts';
import { SOURCES } from '../../web/sources.ts';
import { listDlq, requeueDlqEntry } from '../../worker/dlq.ts';
import { collectStats } from '../../worker/stats.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type BackpressureOptions, INGEST_DEFAULTS } from '../../ingest/config.ts';
import { FrameRouter } from '../../ingest/frame-router.ts';
import { testStage } from '../../events/test/helpers.ts';
import { TINY_JPEG, testWorker } from '../../worker/test/helpers.ts';
import type { Worker } from '../../worker/worker.ts';
import type { EventStage } from '../../events/stage.ts';

/** The default admission: every frame once, in order. */
async function admitInOrder(router: FrameRouter, frames: readonly ScenarioFrame[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>(); // "<partition>/<frame id>" → camera
  for (const { car: _car, key: _key, ...frame } of frames) {
    const { id } = await router.add(frame);
    ids.set(`${router.parts.index(frame.camera)}/${id}`, frame.camera);
  }
  return ids;
}

/** Capture time of the first frame (fixed: the events stage works on capture time). */
const T0 = 1_760_000_000_000;

export interface ScenarioOptions {
  cameras: number;
  frames: number;
  workers: number;
  /** Frames per car (one event each). */
  framesPerCar?: number;
  /** A camera quiet this long has its passes closed (default 2000 ms). */
  idleFlushMs?: number;
  /** FrameRouter backpressure settings over the defaults (e.g. waitReplicas). */
  backpressure?: Partial<BackpressureOptions>;
  /**
   * Writes the frames (default: one router.add each, in order) and returns what was admitted,
   * "<partition>/<frame id>" → camera. A failover test admits with retries while it kills a master.
   */
  admit?: (router: FrameRouter, frames: readonly ScenarioFrame[]) => Promise<Map<string, string>>;
}

/** A frame of the scenario: its car's plate and an idempotency key unique to the frame. */
export type ScenarioFrame = Frame & { car: string; key: string };

export interface ScenarioResult {
  frames: number;
  events: number;
  /** Results per partition (index = partition). */
  resultsPerPartition: number[];
  /** Frames read into each event. */
  framesPerEvent: number[];
}

/**
 * The partitioned pipeline end to end, in process: a FrameRouter writes `frames` frames of `cameras`
 * cameras (cars of `framesPerCar` frames, each camera's cars one after the other) while `workers` workers
 * and one events stage per partition run. Checks, on standalone Redis or a cluster alike:
 * - exactly one result per frame, in the partition of the frame's camera, nothing pending anywhere;
 * - one event per car with all its frames, and each camera's events in capture order in its stream.
 * `redis` is a plain client (or Cluster) for the checks; the processes connect with `config`.
 */
export async function runPartitionedPipeline(
  redis: RedisClient,
  config: RedisConfig,
  o: ScenarioOptions,
): Promise<ScenarioResult> {
  const parts = partitionsOf(config);
  const perCar = o.framesPerCar ?? 8;
  const cameras = Array.from({ length: o.cameras }, (_, i) => `cam-${String(i + 1).padStart(2, '0')}`);
  // Cars round-robin over the cameras; a camera's cars are 3 s apart in capture time, frames 150 ms apart.
  const frames: ScenarioFrame[] = [];
  const cars = Math.ceil(o.frames / perCar);
  const carsOf = new Map<string, string[]>();
  for (let c = 0; c < cars; c++) {
    const camera = cameras[c % cameras.length]!;
    const k = Math.floor(c / cameras.length);
    const plate = `P${String(c).padStart(4, '0')}X`;
    carsOf.set(camera, [...(carsOf.get(camera) ?? []), plate]);
    for (let i = 0; i < perCar && frames.length < o.frames; i++)
      frames.push({
        camera,
        ts: T0 + k * 3000 + i * 150,
        mime: 'image/jpeg',
        img: TINY_JPEG,
        meta: { plate },
        car: plate,
        key: `${camera}-${k}-${i}`,
      });
  }
  frames.sort((a, b) => a.ts - b.ts || a.camera.localeCompare(b.camera));
  // Passes close on a gap (EVENTS_MAX_GAP_MS, 1 s here; cars are ~2 s apart) or when the camera is quiet for
  // idleFlushMs: 2 s keeps a result that the parallel workers delay (under load) inside its pass.

  const workers: Worker[] = [];
  const stages: EventStage[] = [];
  const producer = createRedis(config, 'producer', { name: 'scenario-producer' });
  try {
    await waitReady(producer, 5000);
    for (let w = 0; w < o.workers; w++) workers.push(testWorker(config, { concurrency: 4, readCount: 8 }));
    for (let p = 0; p < parts.count; p++)
      stages.push(
        testStage(
          config,
          { partitions: parts.count, idleFlushMs: o.idleFlushMs ?? 2000, minTravel: 0 },
          { partition: { index: p, count: parts.count } },
        ),
      );
    await Promise.all([...workers.map((w) => w.start()), ...stages.map((s) => s.start())]);
    const router = new FrameRouter(producer, parts, {
      ...INGEST_DEFAULTS.backpressure,
      maxBacklog: 1_000_000,
      memoryBudgetBytes: 1024 ** 3,
      ...o.backpressure,
    });
    await router.ensureGroups();
    const ids = await (o.admit ?? admitInOrder)(router, frames);
    expect(ids.size).toBe(o.frames);

    // Exactly one result per frame, each in its camera's partition; nothing pending in any group.
    const resultsPerPartition = await waitFor(
      async () => {
        const lens = await Promise.all(parts.all.map((k) => redis.xlen(k.results)));
        return lens.reduce((a, b) => a + b, 0) >= o.frames ? lens : undefined;
      },
      { timeoutMs: 90_000, what: `${o.frames} results` },
    );
    const seen = new Map<string, number>();
    for (const [p, k] of parts.all.entries()) {
      for (const [rid, fields] of (await redis.xrange(k.results, '-', '+')) as [string, string[]][]) {
        const r = decodeResult(rid, fields);
        expect(parts.index(r.camera), `result ${rid} of ${r.camera} in partition ${p}`).toBe(p);
        const key = `${p}/${r.frame}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    expect(seen.size).toBe(o.frames);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect([...seen.keys()].sort()).toEqual([...ids.keys()].sort());

    // One event per car, all its frames; per camera in capture order in its partition's events stream.
    const events = await waitFor(
      async () => {
        const all: (EventRecord & { p: number })[] = [];
        for (const [p, k] of parts.all.entries()) {
          const pending = (await redis.xpending(k.results, EVENTS_GROUP)) as [number];
          if (Number(pending[0]) !== 0 || (await redis.hlen(k.eventsState)) !== 0) return undefined;
          for (const [id, fields] of (await redis.xrange(k.events, '-', '+')) as [string, string[]][])
            all.push({ ...decodeEvent(id, fields), p });
        }
        return all.length >= cars ? all : undefined;
      },
      { timeoutMs: 90_000, what: `${cars} events, nothing open or pending` },
    );
    expect(events.map((e) => e.plate).sort()).toEqual([...carsOf.values()].flat().sort());
    for (const camera of cameras) {
      const mine = events.filter((e) => e.camera === camera);
      expect(mine.every((e) => e.p === parts.index(camera))).toBe(true);
      // Stream order of the camera's events = capture order = the order its cars passed.
      expect(mine.map((e) => e.plate)).toEqual(carsOf.get(camera));
      const firsts = mine.map((e) => e.firstTs);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }
    for (const k of parts.all) {
      const pending = (await redis.xpending(k.frames, WORKER_GROUP)) as [number];
      expect(Number(pending[0])).toBe(0);
    }
    return { frames: o.frames, events: events.length, resultsPerPartition, framesPerEvent: events.map((e) => e.frames) };
  } finally {
    await Promise.allSettled([...workers.map((w) => w.close()), ...stages.map((s) => s.close())]);
    await closeRedis(producer);
  }
}

/** stats, the web search pages (cursor across partitions), tails and the DLQ see every partition. */
export async function expectReadersSeeAllPartitions(
  redis: RedisClient,
  config: RedisConfig,
  frames: number,
): Promise<void> {
  const parts = partitionsOf(config);
  const stats = await collectStats(redis, parts);
  expect(stats.results.length).toBe(frames);
  expect(stats.partitions).toBe(parts.count);
  expect(stats.byPartition!.map((b) => b.results)).toEqual(
    await Promise.all(parts.all.map((k) => redis.xlen(k.results))),
  );
  expect(stats.consumers.filter((c) => c.alive).length).toBeLessThanOrEqual(3);

  // /v1/results: pages of 170 follow `next` through every result, newest first, none twice or skipped.
  const streams = parts.all.map((k) => k.results);
  const plan = compileSearch({ withEmpty: true }, { allowEmpty: true });
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await searchPage(
      redis,
      streams,
      SOURCES.results,
      compileSearch({ withEmpty: true, cursor }, { allowEmpty: true }),
      { limit: 170, maxScan: 10_000 },
    );
    ids.push(...page.items.map((i) => (i as { id: string }).id));
    cursor = page.next ?? undefined;
  } while (cursor);
  expect(ids).toHaveLength(frames);
  expect(new Set(ids).size).toBe(frames);
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
  for await (const i of searchAll(redis, streams, SOURCES.results, plan, 5000))
    all.push((i as { id: string }).id);
  expect(all).toEqual(ids);
  // results tail --no-follow: oldest first, the exact reverse.
  const tailed: string[] = [];
  for await (const e of tailPartitions(config, redis, streams, { follow: false, keep: () => true }))
    tailed.push(partitionedId(e.id, e.partition, parts.count));
  expect(tailed).toEqual([...ids].reverse());

  // Two dead letters with the same stream id in two partitions: both listed, shown and requeued apart.
  const [k1, k4] = [parts.all[1]!, parts.all[4]!];
  for (const k of [k1, k4]) await redis.xadd(k.dlq, '5-1', 'camera', 'x', 'mime', 'image/jpeg', 'img', 'abc');
  const listed = await listDlq(redis, parts);
  expect(listed.map((e) => e.id)).toEqual(['5-1@1', '5-1@4']);
  expect((await listDlq(redis, parts, { after: '5-1@1' })).map((e) => e.id)).toEqual(['5-1@4']);
  const back = await requeueDlqEntry(redis, parts, '5-1@4');
  expect(back.frameId).toMatch(/@4$/);
  expect(await redis.xlen(k4.dlq)).toBe(0);
  expect(await redis.xlen(k1.dlq)).toBe(1);
  // Leave the store drained: the requeued test frame is not a real one.
  await redis.xdel(k4.frames, parsePartitionedId(back.frameId!)!.id);
  await redis.xgroup('SETID', k4.frames, WORKER_GROUP, '$');
  await redis.xdel(k1.dlq, '5-1');
}
