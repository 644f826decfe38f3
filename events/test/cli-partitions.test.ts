import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../shared/codec/event-codec.ts';
import { cameraPartition, partitionsOf } from '../../shared/redis/partitions.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';
import { runEventsCli } from './helpers.ts';

const P = 3;
let redis: TestRedis;
let prefix: string;
/** `<id>@<p>` of every event written, in write order (ids ascend across partitions). */
const written: { id: string; camera: string; plate: string }[] = [];

beforeAll(async () => {
  redis = await useRedis();
  prefix = uniquePrefix('evcli-p');
  const parts = partitionsOf({ prefix, partitions: P });
  const cameras = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e', 'cam-f'];
  expect(new Set(cameras.map((c) => cameraPartition(c, P))).size).toBeGreaterThan(1);
  for (let i = 0; i < 12; i++) {
    const camera = cameras[i % cameras.length]!;
    const p = cameraPartition(camera, P);
    const plate = `PT${String(i).padStart(3, '0')}X`;
    const fields = encodeEvent({
      event: `${camera}:${1_700_000_000_000 + i}:0`,
      camera,
      plate,
      confidence: 0.9,
      frames: 4,
      firstTs: 1_700_000_000_000 + i,
      lastTs: 1_700_000_001_000 + i,
      bestFrame: `${1_700_000_000_000 + i}-0`,
      alternatives: [],
      direction: '',
      watchlist: '',
      results: [],
    });
    const id = (await redis.client.xadd(parts.all[p]!.events, `${1_700_000_100_000 + i}-0`, ...fields)) as string;
    written.push({ id: `${id}@${p}`, camera, plate });
  }
});
afterAll(async () => {
  await redis?.close();
});

const cli = (args: string[]) => runEventsCli({ REDIS_URL: redis.url, LPR_PREFIX: prefix, LPR_PARTITIONS: String(P) }, args);

const jsonLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; camera: string; plate: string });

describe('platestream events tail over several partitions', () => {
  it('merges every partition oldest first, ids as <id>@<p>, filters and --limit applied across partitions', async () => {
    const all = await cli(['tail', '--from', '0', '--no-follow', '--json']);
    expect(all.code, all.err).toBe(0);
    expect(jsonLines(all.out).map((e) => e.id)).toEqual(written.map((e) => e.id));

    const camB = await cli(['tail', '--from', '0', '--no-follow', '--json', '--camera', 'cam-b']);
    expect(jsonLines(camB.out).map((e) => e.plate)).toEqual(
      written.filter((e) => e.camera === 'cam-b').map((e) => e.plate),
    );

    const newest = await cli(['tail', '--no-follow', '--limit', '4', '--json']);
    expect(jsonLines(newest.out).map((e) => e.id)).toEqual(written.slice(-4).map((e) => e.id));
  });
});
