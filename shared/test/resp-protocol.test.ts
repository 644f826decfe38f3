import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from '../redis/connection.ts';
import {
  type ClaimedEntry,
  fieldPairs,
  parseGroupInfo,
  parseReadReply,
  type ReadReply,
  Reclaimer,
} from '../redis/stream/index.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';

// ioredis 6 speaks RESP3 by default; its default "legacy" reply mapping keeps RESP2 shapes. The stream
// toolkit's parsers (shared/redis/stream/) read each reply in one place; this runs them over both protocols
// against the same server and requires the same answers, so a change in either shows up here.

const BINARY = Buffer.from([0xff, 0xd8, 0x00, 0x80, 0xfe]);

async function scenario(url: string, protocol: 2 | 3) {
  const c = new Redis({ ...redisOptionsFromUrl(url), protocol, lazyConnect: true });
  await c.connect();
  try {
    const hello = String(await c.call('CLIENT', 'INFO')).match(/resp=(\d)/)?.[1];
    const p = uniquePrefix(`resp${protocol}`);
    const [a, b] = [`${p}:a`, `${p}:b`];
    await c.xadd(a, '1-1', 'img', BINARY, 'camera', 'cam-1');
    await c.xadd(a, '1-2', 'camera', 'cam-2');
    await c.xadd(b, '2-1', 'camera', 'cam-3');
    for (const s of [a, b]) await c.xgroup('CREATE', s, 'g', '0');

    const read = parseReadReply(
      (await c.callBuffer(
        'XREADGROUP',
        'GROUP',
        'g',
        'c1',
        'COUNT',
        10,
        'STREAMS',
        a,
        b,
        '>',
        '>',
      )) as ReadReply,
    ).map((e) => ({
      stream: e.stream.slice(p.length),
      id: e.id,
      fields: e.fields.map((f) => f.toString('hex')),
    }));
    const timedOut = await c.callBuffer('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', 10, 'STREAMS', a, '>');

    await c.xdel(a, '1-2'); // pending but deleted: XAUTOCLAIM reports it gone
    const claimed: ClaimedEntry[] = [];
    let gone = 0;
    const reclaimer = new Reclaimer({
      redis: c,
      stream: a,
      group: 'g',
      consumer: 'c2',
      minIdleMs: 0,
      hooks: { onGone: (n) => (gone += n) },
    });
    const round = await reclaimer.runOnce(10, (entries) => void claimed.push(...entries));

    const groups = parseGroupInfo(await c.xinfo('GROUPS', a));
    const info = fieldPairs(await c.call('XINFO', 'STREAM', a));
    const consumers = ((await c.call('XINFO', 'CONSUMERS', a, 'g')) as unknown[]).map((r) => {
      const f = fieldPairs(r);
      return { name: f.name, pending: f.pending };
    });
    const luaFalse = await c.eval('return false', 0);
    const luaTrue = await c.eval('return true', 0);
    await c.del(a, b);
    return {
      hello,
      result: {
        read,
        timedOut,
        claimed: claimed.map((e) => ({ id: e.id, deliveries: e.deliveries, first: e.fields[0]?.toString() })),
        round,
        gone,
        groups: groups.map((g) => ({ ...g })),
        length: info.length,
        firstEntry: info['first-entry'],
        consumers,
        luaFalse,
        luaTrue,
      },
    };
  } finally {
    c.disconnect();
  }
}

describe('reply shapes on RESP2 and RESP3 (ioredis 6)', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the toolkit parses XREADGROUP, XAUTOCLAIM, XPENDING, XINFO and Lua booleans the same on both protocols', async () => {
    const two = await scenario(t.url, 2);
    const three = await scenario(t.url, 3);
    expect(two.hello).toBe('2');
    expect(three.hello).toBe('3');
    expect(three.result).toEqual(two.result);
    const r = two.result;
    expect(r.read).toEqual([
      { stream: ':a', id: '1-1', fields: ['696d67', BINARY.toString('hex'), '63616d657261', '63616d2d31'] },
      { stream: ':a', id: '1-2', fields: ['63616d657261', '63616d2d32'] },
      { stream: ':b', id: '2-1', fields: ['63616d657261', '63616d2d33'] },
    ]);
    expect(r.timedOut).toBeNull();
    expect(r.claimed).toEqual([{ id: '1-1', deliveries: 2, first: 'img' }]);
    expect(r.round).toEqual({ claimed: 1, complete: true });
    expect(r.gone).toBe(1);
    expect(r.groups).toEqual([{ name: 'g', consumers: 2, pending: 1, lag: 0, lastDeliveredId: '1-2' }]);
    expect(r.length).toBe(1);
    expect((r.firstEntry as unknown[])[0]).toBe('1-1');
    expect(r.consumers).toEqual([
      { name: 'c1', pending: 0 },
      { name: 'c2', pending: 1 },
    ]);
    expect(r.luaFalse).toBeNull();
    expect(r.luaTrue).toBe(1);
  });
});
