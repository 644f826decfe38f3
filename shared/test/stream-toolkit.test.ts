import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlatestreamError } from '../errors.ts';
import { asRedisError, closeRedis, createRedis } from '../redis/connection.ts';
import { StreamKeys } from '../redis/keys.ts';
import {
  BlockingReader,
  type ClaimedEntry,
  compareIds,
  ensureGroup,
  ensureGroups,
  entryFields,
  entryIdMs,
  fieldValue,
  idFromMs,
  isBusyGroup,
  isEntryId,
  isNoGroup,
  isRedisError,
  isServerRefusal,
  MAX_SEQ,
  nextId,
  parseEntryId,
  previousId,
  Reclaimer,
  redisErrorCode,
  tailStreams,
} from '../redis/stream/index.ts';
import { waitFor } from '../util/wait.ts';
import { canOwnServer, type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';

describe('entry ids', () => {
  it('parses, orders and steps ids as Redis does', () => {
    expect(parseEntryId('1700000000000-3')).toEqual({ ms: 1700000000000, seq: 3n });
    expect(parseEntryId('42')).toEqual({ ms: 42, seq: 0n });
    expect(() => parseEntryId('12-x')).toThrow(/not a stream entry id/);
    expect(isEntryId(`1-${MAX_SEQ}`)).toBe(true);
    expect(isEntryId(`1-${MAX_SEQ + 1n}`)).toBe(false);
    expect(entryIdMs('1700000000000-3')).toBe(1700000000000);
    expect(idFromMs(1700000000000.7)).toBe('1700000000000-0');
    expect(idFromMs(5, 2)).toBe('5-2');
    expect(compareIds('5-10', '5-9')).toBe(1);
    expect(compareIds('4-99', '5-0')).toBe(-1);
    expect(compareIds('5', '5-0')).toBe(0);
    expect(nextId('5-9')).toBe('5-10');
    expect(nextId(`5-${MAX_SEQ}`)).toBe('6-0');
    expect(previousId('5-10')).toBe('5-9');
    expect(previousId('5-0')).toBe(`4-${MAX_SEQ}`);
    expect(previousId('0-0')).toBe('0-0');
    // The sequence keeps full 64-bit precision (a Number would round it).
    expect(previousId(`7-${MAX_SEQ}`)).toBe('7-18446744073709551614');
  });
});

describe('stream toolkit on a real Redis', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('ensureGroup tolerates BUSYGROUP; errors are told apart by their code', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    expect(await ensureGroup(t.client, keys.frames, 'g')).toBe(true);
    expect(await ensureGroup(t.client, keys.frames, 'g')).toBe(false);
    expect(await ensureGroups(t.client, [keys.frames, keys.results], 'g')).toEqual([keys.results]);

    const busy = await t.client.xgroup('CREATE', keys.frames, 'g', '0').catch((e: unknown) => e);
    expect(redisErrorCode(busy)).toBe('BUSYGROUP');
    expect(isBusyGroup(busy)).toBe(true);
    const noGroup = await t.client
      .xreadgroup('GROUP', 'missing', 'c', 'STREAMS', keys.frames, '>')
      .catch((e: unknown) => e);
    expect(isNoGroup(noGroup)).toBe(true);
    expect(isBusyGroup(noGroup)).toBe(false);
    await t.client.set(`${prefix}:plain`, 'x');
    const wrongType = await t.client.xlen(`${prefix}:plain`).catch((e: unknown) => e);
    expect(isRedisError(wrongType, 'WRONGTYPE')).toBe(true);
    // A wrong-type failure is not a refusal: asRedisError leaves it alone.
    expect(isPlatestreamError(asRedisError(wrongType, 'x'))).toBe(false);
    // Not a reply: no code, whatever the message says.
    expect(redisErrorCode(new Error('BUSYGROUP lookalike'))).toBeUndefined();
    expect(isServerRefusal(new Error('OOM lookalike'))).toBe(false);
    await t.cleanup(prefix);
  });

  it.skipIf(!canOwnServer())(
    'an OOM refusal is matched by code and mapped to REDIS_UNAVAILABLE',
    async () => {
      const prefix = uniquePrefix();
      await t.client.config('SET', 'maxmemory', '1');
      let err: unknown;
      try {
        err = await t.client.xadd(`${prefix}:frames`, '*', 'a', 'b').catch((e: unknown) => e);
      } finally {
        await t.client.config('SET', 'maxmemory', '0');
      }
      expect(redisErrorCode(err)).toBe('OOM');
      expect(isServerRefusal(err)).toBe(true);
      expect(isPlatestreamError(asRedisError(err, 'adding'), 'REDIS_UNAVAILABLE')).toBe(true);
      await t.cleanup(prefix);
    },
  );

  it('readGroup reads several partitions at once, re-reads own pending entries and recreates a lost group', async () => {
    const config = t.config();
    const a = new StreamKeys(config.prefix, 'a').frames;
    const b = new StreamKeys(config.prefix, 'b').frames;
    await ensureGroups(t.client, [a, b], 'g');
    await t.client.xadd(a, '*', 'n', 'a1');
    await t.client.xadd(b, '*', 'n', 'b1');
    await t.client.xadd(b, '*', 'n', 'b2');
    const reader = new BlockingReader(config, {
      name: 'test-group',
      blockMs: 100,
      marginMs: 2000,
      recreateGroupFrom: '0',
    });
    const read = (pending = false) =>
      reader.readGroup({ group: 'g', consumer: 'c1', streams: [a, b], count: 10, pending });
    const got = await read();
    expect(got.map((e) => [e.stream, fieldValue(e, 'n')])).toEqual([
      [a, 'a1'],
      [b, 'b1'],
      [b, 'b2'],
    ]);
    expect(await read()).toEqual([]); // BLOCK ran out: nothing new
    const pending = await read(true);
    expect(pending.map((e) => [e.stream, e.id])).toEqual(got.map((e) => [e.stream, e.id]));
    // Entries deleted while pending come back with no fields.
    await t.client.xdel(b, got[1]!.id);
    const again = await read(true);
    expect(again.find((e) => e.stream === b && e.id === got[1]!.id)?.fields).toEqual([]);

    await t.client.del(a);
    expect(await read()).toEqual([]); // NOGROUP → group recreated
    await t.client.xadd(a, '*', 'n', 'a2');
    expect((await read()).map((e) => fieldValue(e, 'n'))).toEqual(['a2']);
    await reader.close();
    expect(await read()).toEqual([]); // closed: no read, no throw
    await t.cleanup(config.prefix);
  });

  it('without recreateGroupFrom, NOGROUP is thrown as the Redis reply', async () => {
    const config = t.config();
    const reader = new BlockingReader(config, { name: 'test-nogroup', blockMs: 50, marginMs: 2000 });
    const err = await reader
      .readGroup({ group: 'g', consumer: 'c', streams: [`${config.prefix}:none`], count: 1 })
      .catch((e: unknown) => e);
    expect(isNoGroup(err)).toBe(true);
    await reader.close();
  });

  it('tailStreams reads after an id across partitions, pins $ and follows new entries', async () => {
    const config = t.config();
    const a = new StreamKeys(config.prefix, 'a').results;
    const b = new StreamKeys(config.prefix, 'b').results;
    const ids = [
      await t.client.xadd(a, '*', 'n', 'a1'),
      await t.client.xadd(b, '*', 'n', 'b1'),
      await t.client.xadd(a, '*', 'n', 'a2'),
    ] as string[];
    const reader = new BlockingReader(config, { name: 'test-tail', blockMs: 100, marginMs: 2000 });
    const collect = async (from: { stream: string; after: string }[], count?: number) => {
      const out: string[] = [];
      for await (const e of tailStreams(reader, { from, follow: false, count })) out.push(entryFields(e)[1]!);
      return out;
    };
    // Resume: everything after a1 in a, everything in b; pages of one entry still reach the end.
    expect(
      await collect(
        [
          { stream: a, after: ids[0]! },
          { stream: b, after: '0-0' },
        ],
        1,
      ),
    ).toEqual(['a2', 'b1']);
    expect(await collect([{ stream: a, after: '$' }])).toEqual([]);

    const stop = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of tailStreams(reader, {
        from: [
          { stream: a, after: '$' },
          { stream: b, after: '$' },
        ],
        follow: true,
        signal: stop.signal,
      })) {
        seen.push(fieldValue(e, 'n')!);
        if (seen.length === 2) stop.abort();
      }
    })();
    // '$' is pinned before the first blocking read: once the reader's connection is blocked in XREAD,
    // entries added from now on are all seen (the connection itself existed before: wait for the command).
    await waitFor(async () =>
      String(await t.client.client('LIST'))
        .split('\n')
        .some((l) => l.includes('name=platestream:test-tail') && /cmd=xread\b/.test(l)),
    );
    await t.client.xadd(b, '*', 'n', 'b2');
    await t.client.xadd(a, '*', 'n', 'a3');
    await following;
    expect(seen.sort()).toEqual(['a3', 'b2']);
    await reader.close();
    await t.cleanup(config.prefix);
  });

  it.skipIf(!canOwnServer())(
    'the watchdog replaces a hung connection: a blocking read returns [], a non-blocking one throws TIMEOUT',
    async () => {
      const config = t.config();
      const stream = `${config.prefix}:s`;
      await ensureGroup(t.client, stream, 'g');
      let resets = 0;
      const reader = new BlockingReader(config, {
        name: 'test-watchdog',
        blockMs: 50,
        marginMs: 150,
        onWatchdog: () => resets++,
      });
      const read = (pending = false) =>
        reader.readGroup({ group: 'g', consumer: 'c', streams: [stream], count: 1, pending });
      await reader.waitReady(2000);
      // XREADGROUP is a write command: while writes are paused it cannot finish.
      await t.client.call('CLIENT', 'PAUSE', '10000', 'WRITE');
      try {
        expect(await read()).toEqual([]);
        expect(resets).toBe(1);
        const err = await read(true).catch((e: unknown) => e);
        expect(isPlatestreamError(err, 'TIMEOUT')).toBe(true);
        expect(resets).toBe(2);
      } finally {
        await t.client.call('CLIENT', 'UNPAUSE');
      }
      await t.client.xadd(stream, '*', 'n', '1');
      expect((await read()).map((e) => fieldValue(e, 'n'))).toEqual(['1']);
      await reader.close();
      await t.cleanup(config.prefix);
    },
  );

  it('Reclaimer claims idle entries with their delivery counts, dead-letters past the limit and skips deleted ones', async () => {
    const config = t.config();
    const stream = `${config.prefix}:jobs`;
    await ensureGroup(t.client, stream, 'g');
    for (let i = 1; i <= 4; i++) await t.client.xadd(stream, '*', 'n', String(i));
    const read = (await t.client.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', stream, '>')) as [
      string,
      [string, string[]][],
    ][];
    const ids = read[0]![1].map(([id]) => id);
    await t.client.xdel(stream, ids[3]!); // gone while pending

    const redis = createRedis(config, 'consumer');
    const handled: ClaimedEntry[] = [];
    const dead: ClaimedEntry[] = [];
    let claimedHook = 0;
    let gone = 0;
    const reclaimer = new Reclaimer({
      redis,
      stream,
      group: 'g',
      consumer: 'alive',
      minIdleMs: 0,
      deadLetters: {
        maxDeliveries: 2,
        async deadLetter(entry) {
          dead.push(entry);
          await redis.xack(stream, 'g', entry.id);
        },
      },
      hooks: {
        onClaimed: (e) => {
          claimedHook += e.length;
        },
        onGone: (n) => {
          gone += n;
        },
      },
    });
    const handle = (entries: ClaimedEntry[]) => void handled.push(...entries);
    // Pages of one entry: claimAll goes round until the pending list wrapped.
    expect(await reclaimer.claimAll(handle, { pageSize: 1 })).toBe(3);
    expect(handled.map((e) => [fieldValue(e, 'n'), e.deliveries])).toEqual([
      ['1', 2],
      ['2', 2],
      ['3', 2],
    ]);
    expect(gone).toBe(1);
    expect(claimedHook).toBe(3);
    // Claimed again: the third delivery is past maxDeliveries 2.
    const round = await reclaimer.runOnce(10, handle);
    expect(round).toEqual({ claimed: 3, complete: true });
    expect(dead.map((e) => [fieldValue(e, 'n'), e.deliveries])).toEqual([
      ['1', 3],
      ['2', 3],
      ['3', 3],
    ]);
    expect(handled).toHaveLength(3);
    expect(await t.client.xpending(stream, 'g')).toEqual([0, null, null, null]);
    await closeRedis(redis);
    await t.cleanup(config.prefix);
  });
});
