import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';
import { carResults, pushResults, readEvents, runEventsCli, T0, testStage } from './helpers.ts';

let redis: TestRedis;
let prefix: string;
beforeAll(async () => {
  redis = await useRedis();
  prefix = uniquePrefix('evcli');
  const stage = testStage(redis.config(prefix));
  await stage.start();
  await pushResults(redis.client, prefix, [
    ...carResults('cam-1', 'AB123CD', T0, 5, { misread: { 1: 'AB128CD' } }),
    ...carResults('cam-2', 'XY987ZW', T0 + 100, 4),
    ...carResults('cam-1', 'AB123CD', T0 + 20_000, 3),
  ]);
  await waitFor(async () => (await readEvents(redis.client, prefix)).length === 3, {
    timeoutMs: 20_000,
    what: 'three events',
  });
  await stage.close();
});
afterAll(async () => {
  await redis?.close();
});

const cli = (args: string[]) => runEventsCli({ REDIS_URL: redis.url, LPR_PREFIX: prefix }, args);

describe('platestream events tail | show | plate', () => {
  it('tail prints one line per vehicle, filtered by camera and plate glob', async () => {
    const all = await cli(['tail', '--from', '0', '--no-follow']);
    expect(all.code).toBe(0);
    expect(all.out.trim().split('\n')).toHaveLength(3);
    const one = await cli(['tail', '--from', '0', '--no-follow', '--camera', 'cam-2', '--json']);
    expect(
      one.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).plate),
    ).toEqual(['XY987ZW']);
    const glob = await cli(['tail', '--from', '0', '--to', String(Date.now() + 60_000), '--plate', 'ab*']);
    expect(glob.out.trim().split('\n')).toHaveLength(2);
    expect(glob.out).toMatch(/cam-1\s+AB123CD .* 5 frames .*approaching/);
  });

  it('tail --limit N prints the newest N (oldest first); --to is inclusive to its millisecond', async () => {
    const events = await readEvents(redis.client, prefix);
    const plates = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).plate as string);
    const newest = await cli(['tail', '--no-follow', '--limit', '2', '--json']);
    expect(plates(newest.out)).toEqual(events.slice(-2).map((e) => e.plate));
    // --to as the last event's entry id, and as its millisecond: both include it.
    const lastId = events.at(-1)!.id!;
    const byId = await cli(['tail', '--from', '0', '--to', lastId, '--json']);
    const byMs = await cli(['tail', '--from', '0', '--to', lastId.split('-')[0]!, '--json']);
    expect(plates(byId.out)).toHaveLength(3);
    expect(plates(byMs.out)).toHaveLength(3);
    const bad = cli(['tail', '--from', lastId, '--to', events[0]!.id!]);
    await expect(bad).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('show lists the frames of one event and their reads; plate finds events by plate', async () => {
    const [first] = await readEvents(redis.client, prefix);
    const shown = await cli(['show', first!.id!, '--json']);
    const body = JSON.parse(shown.out);
    expect(body.plate).toBe('AB123CD');
    expect(body.reads.map((r: { plate: string }) => r.plate)).toEqual([
      'AB123CD',
      'AB128CD',
      'AB123CD',
      'AB123CD',
      'AB123CD',
    ]);
    expect(body.reads.every((r: { kept: boolean }) => r.kept)).toBe(true);
    const byEventId = await cli(['show', first!.event]);
    expect(byEventId.out).toMatch(/alternatives: AB128CD/);
    const plate = await cli(['plate', 'ab-123 cd', '--json']);
    expect(JSON.parse(plate.out).events.map((e: { frames: number }) => e.frames)).toEqual([3, 5]);
    const missing = await cli(['show', '1-0']);
    expect(missing.code).toBe(1);
  });
});
