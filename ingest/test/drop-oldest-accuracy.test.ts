import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { runScript } from '../../shared/redis/scripts.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';

/**
 * drop-oldest must drop exactly what exceeds the backlog limit, also while acknowledged frames are still in
 * the stream (between housekeeping rounds, or kept by LPR_FRAME_RETENTION_MS), and keep Redis's lag exact.
 */
describe('drop-oldest accuracy', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('drops only the excess over the limit and delivers the newest frames', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    const limit = 10;
    const admit = (n: number) =>
      runScript<[string, number, number, number]>(
        t.client,
        'admitDropOldest',
        [keys.frames, keys.counters, keys.idempotency('c', '-')],
        [WORKER_GROUP, limit, 0, 'dropped', 5, 0, 'camera', 'c', 'seq', String(n)],
      );
    await t.client.xgroup('CREATE', keys.frames, WORKER_GROUP, '0', 'MKSTREAM');
    // 100 frames processed and acknowledged, not trimmed.
    for (let i = 0; i < 100; i++) {
      await admit(i);
      const rd = (await t.client.xreadgroup(
        'GROUP',
        WORKER_GROUP,
        'w',
        'COUNT',
        1,
        'STREAMS',
        keys.frames,
        '>',
      )) as [string, [string, string[]][]][];
      await t.client.xack(keys.frames, WORKER_GROUP, rd[0]![1][0]![0]);
    }
    // A burst of 25 with nobody reading: 15 must be dropped, one per admission past the limit.
    const drops: number[] = [];
    for (let i = 100; i < 125; i++) drops.push((await admit(i))[2]);
    expect(drops.reduce((a, b) => a + b, 0)).toBe(15);
    expect(drops.slice(0, limit).every((d) => d === 0)).toBe(true);
    expect(await t.client.hget(keys.counters, 'dropped')).toBe('15');

    const info = (await t.client.xinfo('GROUPS', keys.frames)) as unknown[][];
    const group = Object.fromEntries(
      Array.from({ length: info[0]!.length / 2 }, (_, i) => [info[0]![2 * i], info[0]![2 * i + 1]]),
    );
    expect(group.lag).toBe(limit);
    // Dropped frames are gone from memory (at most one waits for the next drop to delete it).
    expect(await t.client.xlen(keys.frames)).toBeLessThanOrEqual(100 + limit + 1);

    // Workers get exactly the newest `limit` frames.
    const rd = (await t.client.xreadgroup(
      'GROUP',
      WORKER_GROUP,
      'w',
      'COUNT',
      100,
      'STREAMS',
      keys.frames,
      '>',
    )) as [string, [string, string[]][]][];
    const seqs = rd[0]![1].map(([, f]) => Number(f[f.indexOf('seq') + 1]));
    expect(seqs).toEqual(Array.from({ length: limit }, (_, i) => 115 + i));
    await t.cleanup(prefix);
  });
});
