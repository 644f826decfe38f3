import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';
import { collectEventsStats, collectStats, formatStats } from '../../worker/stats.ts';
import type { EventStage } from '../stage.ts';
import { carResults, eventShape, pushResults, readEvents, sameFrames, T0, testStage } from './helpers.ts';

let redis: TestRedis;
const stages: EventStage[] = [];

beforeAll(async () => {
  redis = await useRedis();
});
afterEach(async () => {
  await Promise.all(stages.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await redis?.close();
});

async function start(prefix: string, overrides = {}) {
  const stage = testStage(redis.config(prefix), overrides);
  stages.push(stage);
  await stage.start();
  return stage;
}

/** Waits until the events stream holds `n` events and nothing is open or pending. */
async function settled(prefix: string, n: number) {
  const keys = new StreamKeys(prefix);
  return waitFor(
    async () => {
      const events = await readEvents(redis.client, prefix);
      const open = await redis.client.hlen(keys.eventsState);
      const pending = (await redis.client.xpending(keys.results, 'events')) as [number];
      return events.length >= n && open === 0 && Number(pending[0]) === 0 ? events : undefined;
    },
    { timeoutMs: 20_000, what: `${n} events and no open state` },
  );
}

describe('events stage', () => {
  it('writes the same events whatever order three workers wrote the results in', async () => {
    const cars = [
      ...carResults('cam-1', 'AB123CD', T0, 10),
      ...carResults('cam-1', 'XY987ZW', T0 + 4000, 8),
      ...carResults('cam-2', 'KL55MNO', T0 + 1000, 9),
    ];
    const inOrder = [...cars].sort((a, b) => a.ts - b.ts);
    // Three workers at different speeds: each result delayed by up to 400 ms (< the 500 ms lateness).
    const shuffled = cars
      .map((r, i) => ({ r: { ...r, worker: `w${i % 3}` }, at: r.ts + ((i * 7919) % 400) }))
      .sort((a, b) => a.at - b.at)
      .map((x) => x.r);
    expect(shuffled.map((r) => r.frame)).not.toEqual(inOrder.map((r) => r.frame));

    const a = uniquePrefix('ev');
    const b = uniquePrefix('ev');
    await pushResults(redis.client, a, inOrder);
    await pushResults(redis.client, b, shuffled);
    await start(a);
    await start(b);
    const [ea, eb] = await Promise.all([settled(a, 3), settled(b, 3)]);
    expect(ea.map(eventShape)).toEqual(eb.map(eventShape));
    expect(ea.map((e) => [e.camera, e.plate, e.frames]).sort()).toEqual([
      ['cam-1', 'AB123CD', 10],
      ['cam-1', 'XY987ZW', 8],
      ['cam-2', 'KL55MNO', 9],
    ]);
    expect(ea.find((e) => e.plate === 'AB123CD')?.direction).toBe('approaching');
  });

  it('keeps two vehicles in view at once as two passes, and outvotes a misread frame', async () => {
    const prefix = uniquePrefix('ev');
    const a = carResults('cam-1', 'AB123CD', T0, 10, { y: 100, misread: { 4: 'AB128CD' }, empty: [6] });
    const b = carResults('cam-1', 'GH456JK', T0 + 300, 10, { y: 500 });
    // One result per frame: from T0 + 300 ms on, both plates are read in the same frames.
    const merged = sameFrames([...a, ...b]);
    expect(merged.filter((r) => r.plates.length === 2)).toHaveLength(7); // 8 shared frames, one without a read of AB123CD
    await pushResults(redis.client, prefix, merged);
    await start(prefix);
    const events = await settled(prefix, 2);
    expect(events.map((e) => [e.plate, e.frames])).toEqual([
      ['AB123CD', 9],
      ['GH456JK', 10],
    ]);
    expect(events[0]!.alternatives).toEqual([{ plate: 'AB128CD', votes: 0.9 }]);
  });

  it('joins a run of look-alike misreads that split off its vehicle, and counts the merge', async () => {
    const prefix = uniquePrefix('ev');
    const misread = { 3: 'OIJ0', 4: 'OIJ009', 5: 'O1J009' };
    await pushResults(redis.client, prefix, carResults('cam-1', '01J009', T0, 10, { misread }));
    await start(prefix);
    const events = await settled(prefix, 1);
    expect(events.map((e) => [e.plate, e.frames])).toEqual([['01J009', 10]]);
    expect(await redis.client.hget(new StreamKeys(prefix).counters, 'events:merged-passes')).toBe('1');
  });

  it('writes no event for fixed text (a sign), weak reads or text riding on the car (badges)', async () => {
    const prefix = uniquePrefix('ev');
    const car = carResults('cam-1', 'AB123CD', T0, 8);
    const sign = { x: 400, y: 40, w: 170, h: 30 };
    const frames = car.map((r, i) => ({
      ...r,
      plates: [
        ...r.plates,
        { text: 'LEVEL1', confidence: 0.97, box: { ...sign, x: sign.x + (i % 2) } },
        { text: 'GTI', confidence: 0.25, box: { x: r.box!.x - 60, y: r.box!.y - 30, w: 30, h: 12 } },
        { text: 'HYBRID', confidence: 0.69, box: { x: r.box!.x + 150, y: r.box!.y - 40, w: 60, h: 14 } },
      ],
    }));
    await pushResults(redis.client, prefix, frames);
    await start(prefix);
    const events = await settled(prefix, 1);
    expect(events.map((e) => e.plate)).toEqual(['AB123CD']);
    expect(await redis.client.hget(new StreamKeys(prefix).counters, 'events:dropped-passes')).toBe('2');
  });

  it('closes a quiet camera by capture time while frames still wait for workers, the rest once they are done', async () => {
    const prefix = uniquePrefix('ev');
    const keys = new StreamKeys(prefix);
    // A frame waiting for a worker: the wall-clock idle flush must wait for it.
    await redis.client.xadd(keys.frames, '*', 'camera', 'cam-9', 'ts', '1');
    await redis.client.xgroup('CREATE', keys.frames, 'workers', '0');
    await pushResults(redis.client, prefix, [
      ...carResults('cam-1', 'AB123CD', T0, 5),
      ...carResults('cam-2', 'XY987ZW', T0 + 30_000, 5),
    ]);
    await start(prefix);
    // cam-2's capture clock is 30 s ahead: cam-1 is quiet and its pass closes.
    const first = await waitFor(
      async () => {
        const ev = await readEvents(redis.client, prefix);
        return ev.length > 0 ? ev : undefined;
      },
      { timeoutMs: 20_000, what: "cam-1's event" },
    );
    expect(first.map((e) => e.plate)).toEqual(['AB123CD']);
    // cam-2 has been quiet longer than the idle time (wall clock), yet stays open: a frame is still queued.
    const cam2 = JSON.parse((await redis.client.hget(keys.eventsState, 'cam-2'))!) as { seenAt: number };
    await waitFor(() => Date.now() > cam2.seenAt + 400 + 3 * 200, {
      what: 'three flush rounds past the idle time',
    });
    expect(await redis.client.hkeys(keys.eventsState)).toEqual(['cam-2']);
    // The frame is done: cam-2, the newest camera, is flushed on the wall clock.
    await redis.client.xreadgroup('GROUP', 'workers', 'w', 'COUNT', 10, 'STREAMS', keys.frames, '>');
    const [[id]] = (await redis.client.xrange(keys.frames, '-', '+')) as [[string, string[]]];
    await redis.client.xack(keys.frames, 'workers', id!);
    const events = await settled(prefix, 2);
    expect(events.map((e) => e.plate)).toEqual(['AB123CD', 'XY987ZW']);
  });

  it('platestream stats shows the stage: its group on results, open passes, holder, events and counters', async () => {
    const prefix = uniquePrefix('ev');
    const keys = new StreamKeys(prefix);
    const none = await collectStats(redis.client, keys);
    expect(none.events.partitions).toEqual([]);
    expect(formatStats(none)).toContain('events stage: not started');
    // A frame still waiting for a worker keeps cam-2's pass open (see the test above).
    await redis.client.xadd(keys.frames, '*', 'camera', 'cam-9', 'ts', '1');
    await redis.client.xgroup('CREATE', keys.frames, 'workers', '0');
    await pushResults(redis.client, prefix, [
      ...carResults('cam-1', 'AB123CD', T0, 5),
      ...carResults('cam-1', 'SOLO1', T0 + 5000, 1), // one read: dropped (EVENTS_MIN_READS)
      ...carResults('cam-2', 'XY987ZW', T0 + 30_000, 5),
    ]);
    const stage = await start(prefix);
    const stats = await waitFor(
      async () => {
        const s = await collectEventsStats(redis.client, keys, await counters(keys));
        return s.emitted === 1 && s.droppedPasses === 1 && s.partitions[0]?.group.pending === 0
          ? s
          : undefined;
      },
      { timeoutMs: 20_000, what: "cam-1's event in the stats" },
    );
    expect(stats).toMatchObject({ length: 1, lastMinute: 1, emitted: 1, droppedPasses: 1, lateResults: 0 });
    expect(stats.partitions).toHaveLength(1);
    const [p] = stats.partitions;
    // cam-2: its first read is in a pass, the 4 newer ones wait for the watermark (lateness 500 ms, 150 ms apart).
    expect(p).toMatchObject({ index: 0, cameras: 1, openPasses: 1, bufferedReads: 4 });
    expect(p!.group).toMatchObject({ name: 'events', lag: 0, pending: 0 });
    expect(p!.holder).toContain(stage.options.consumer);
    const text = formatStats(await collectStats(redis.client, keys));
    expect(text).toMatch(
      /events stage: 0 processes alive; events 1 entries, last minute 1; emitted 1, late results 0, dropped passes 1/,
    );
    expect(text).toMatch(/events +lag +0 +pending +0 +open passes +1 on 1 camera +buffered 4 +holder \S*/);
  });

  it('closes a pass after a gap and when the camera goes quiet; indexes events by plate', async () => {
    const prefix = uniquePrefix('ev');
    const keys = new StreamKeys(prefix);
    await pushResults(redis.client, prefix, [
      ...carResults('cam-1', 'AB123CD', T0, 5),
      ...carResults('cam-1', 'AB123CD', T0 + 5000, 5),
    ]);
    await start(prefix);
    const events = await settled(prefix, 2);
    expect(events.map((e) => e.frames)).toEqual([5, 5]);
    const members = await redis.client.zrangebylex(keys.eventsByPlate, '[AB123CD:', '[AB123CD;');
    expect(members.map((m) => m.split(':').at(-1))).toEqual(events.map((e) => e.id));
  });
});

async function counters(keys: StreamKeys): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(await redis.client.hgetall(keys.counters))) out[k] = Number(v);
  return out;
}
