import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../shared/codec/result-codec.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  type Child,
  canOwnServer,
  killChildren,
  spawnPlatestream,
  type TestRedis,
  uniquePrefix,
  useRedis,
} from '../../test/harness/index.ts';
import { carResults, eventsEnv, pushResults, readEvents, T0 } from './helpers.ts';

/**
 * `platestream events` as real processes: SIGKILL mid-stream and a restart, a standby taking over from a
 * killed lease holder, and a Redis restart (AOF) in the middle of open passes. Every case must end with
 * exactly one event per car: no pass lost, none written twice, every read in exactly one event.
 */
let redis: TestRedis;
const children: Child[] = [];

beforeAll(async () => {
  redis = await useRedis({ appendonly: true });
});
afterEach(async () => {
  await killChildren(children.splice(0));
});
afterAll(async () => {
  await redis?.close();
});

/** `idleFlushMs`: long enough that passes stay open while the test pauses between steps. */
function spawnEvents(
  prefix: string,
  name: string,
  idleFlushMs = 4000,
  extra: Record<string, string> = {},
): Child {
  const env = eventsEnv(redis.config(prefix), name, { EVENTS_IDLE_FLUSH_MS: String(idleFlushMs), ...extra });
  const child = spawnPlatestream(['events'], { name, keepChars: 200_000, env });
  children.push(child);
  return child;
}

/** 24 cars on two cameras, 8 frames each, one after the other per camera. */
function traffic(): { results: ResultRecord[]; plates: string[] } {
  const results: ResultRecord[] = [];
  const plates: string[] = [];
  for (let i = 0; i < 12; i++) {
    for (const cam of ['cam-1', 'cam-2']) {
      const plate = `${cam === 'cam-1' ? 'AA' : 'BB'}${String(100 + i)}${String.fromCharCode(65 + i)}Z`;
      plates.push(plate);
      results.push(...carResults(cam, plate, T0 + i * 3000 + (cam === 'cam-2' ? 500 : 0), 8));
    }
  }
  results.sort((a, b) => a.ts - b.ts);
  return { results, plates };
}

async function expectOneEventPerCar(prefix: string, results: ResultRecord[], plates: string[]) {
  const keys = new StreamKeys(prefix);
  const events = await waitFor(
    async () => {
      const ev = await readEvents(redis.client, prefix);
      const open = await redis.client.hlen(keys.eventsState);
      const pending = (await redis.client.xpending(keys.results, 'events')) as [number];
      return ev.length >= plates.length && open === 0 && Number(pending[0]) === 0 ? ev : undefined;
    },
    { timeoutMs: 60_000, what: `${plates.length} events, nothing open or pending` },
  );
  expect(events.map((e) => e.plate).sort()).toEqual([...plates].sort());
  expect(events.every((e) => e.frames === 8)).toBe(true);
  const reads = events.flatMap((e) => e.results.map((r) => r.frame)).sort();
  expect(reads).toEqual(results.map((r) => r.frame).sort());
}

/** Resolves once the events group has read and acknowledged everything in the results stream. */
async function consumed(prefix: string): Promise<void> {
  const keys = new StreamKeys(prefix);
  await waitFor(
    async () => {
      const groups = (await redis.client.xinfo('GROUPS', keys.results)) as unknown[][];
      const g = groups.map((row) => Object.fromEntries(pairs(row))).find((x) => x.name === 'events');
      const last = (await redis.client.xrevrange(keys.results, '+', '-', 'COUNT', 1))[0]?.[0];
      return g && g['last-delivered-id'] === last && Number(g.pending) === 0;
    },
    { timeoutMs: 30_000, what: 'the events group to consume every result' },
  );
}

function pairs(row: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < row.length; i += 2) out.push([String(row[i]), row[i + 1]]);
  return out;
}

async function eventCount(prefix: string): Promise<number> {
  return redis.client.xlen(new StreamKeys(prefix).events);
}

describe.skipIf(!canOwnServer())('events processes', () => {
  it('a SIGKILLed events process, restarted, loses no pass and writes no event twice', async () => {
    const prefix = uniquePrefix('evk');
    const keys = new StreamKeys(prefix);
    const { results, plates } = traffic();
    const first = spawnEvents(prefix, 'ev-a');
    await first.logged('events partition lease acquired');
    // Feed in small chunks; kill once some events are out and passes are open.
    let sent = 0;
    while (sent < results.length) {
      await pushResults(redis.client, prefix, results.slice(sent, sent + 6));
      sent += 6;
      if ((await eventCount(prefix)) >= 4 && (await redis.client.hlen(keys.eventsState)) > 0) break;
      await consumed(prefix);
    }
    expect(sent).toBeLessThan(results.length);
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = await eventCount(prefix);
    expect(await redis.client.hlen(keys.eventsState)).toBeGreaterThan(0);
    await pushResults(redis.client, prefix, results.slice(sent));
    const second = spawnEvents(prefix, 'ev-b');
    await second.logged('events partition taken over');
    await expectOneEventPerCar(prefix, results, plates);
    expect(before).toBeLessThan(plates.length);
  });

  it('a standby takes the partition over within seconds when the lease holder is killed', async () => {
    const prefix = uniquePrefix('evh');
    const { results, plates } = traffic();
    const a = spawnEvents(prefix, 'ev-a');
    const b = spawnEvents(prefix, 'ev-b');
    const holder = await Promise.race([
      a.logged('events partition lease acquired').then(() => a),
      b.logged('events partition lease acquired').then(() => b),
    ]);
    const standby = holder === a ? b : a;
    const half = results.length / 2;
    await pushResults(redis.client, prefix, results.slice(0, half));
    await waitFor(async () => (await eventCount(prefix)) >= 2, { timeoutMs: 30_000, what: 'first events' });
    holder.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await standby.logged('events partition taken over');
    // Lease 1000 ms; the standby polls every 125 ms: well within a few seconds even on a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(8000);
    await pushResults(redis.client, prefix, results.slice(half));
    await expectOneEventPerCar(prefix, results, plates);
  });

  it('two processes share two partitions; when one dies the other works both', async () => {
    const prefix = uniquePrefix('evp');
    const keys = new StreamKeys(prefix);
    const { results, plates } = traffic(); // cam-1 → partition 0, cam-2 → partition 1
    const two = { EVENTS_PARTITIONS: '2' };
    const a = spawnEvents(prefix, 'ev-a', 4000, two);
    await a.logged('events partition lease acquired');
    const b = spawnEvents(prefix, 'ev-b', 4000, two);
    // Balanced: each holds one lease (the first hands one over once the second is alive).
    const holders = async () =>
      Promise.all(
        [0, 1].map(async (p) => (await redis.client.get(keys.eventsPartitionLock(p, 2)))?.split(':')[1]),
      );
    await waitFor(async () => new Set(await holders()).size === 2 && !(await holders()).includes(undefined), {
      timeoutMs: 30_000,
      what: 'one partition per process',
    });
    const half = results.length / 2;
    await pushResults(redis.client, prefix, results.slice(0, half));
    await waitFor(async () => (await eventCount(prefix)) >= 4, { timeoutMs: 30_000, what: 'first events' });
    const victim = (await holders())[0] === 'ev-a' ? a : b;
    const survivor = victim === a ? 'ev-b' : 'ev-a';
    victim.proc.kill('SIGKILL');
    await waitFor(async () => (await holders()).every((h) => h === survivor), {
      timeoutMs: 30_000,
      what: 'the survivor to hold both partitions',
    });
    await pushResults(redis.client, prefix, results.slice(half));
    const events = await waitFor(
      async () => {
        const ev = await readEvents(redis.client, prefix);
        const open =
          (await redis.client.hlen(keys.eventsPartitionState(0, 2))) +
          (await redis.client.hlen(keys.eventsPartitionState(1, 2)));
        return ev.length >= plates.length && open === 0 ? ev : undefined;
      },
      { timeoutMs: 60_000, what: `${plates.length} events` },
    );
    expect(events.map((e) => e.plate).sort()).toEqual([...plates].sort());
    expect(events.flatMap((e) => e.results.map((r) => r.frame)).sort()).toEqual(
      results.map((r) => r.frame).sort(),
    );
  });

  it('open passes survive a Redis restart (AOF)', async () => {
    const prefix = uniquePrefix('evr');
    const keys = new StreamKeys(prefix);
    const { results, plates } = traffic();
    spawnEvents(prefix, 'ev-a', 10_000);
    const third = Math.floor(results.length / 3);
    await pushResults(redis.client, prefix, results.slice(0, third));
    await consumed(prefix);
    await waitFor(async () => (await eventCount(prefix)) >= 1, { timeoutMs: 30_000, what: 'first events' });
    expect(await redis.client.hlen(keys.eventsState)).toBeGreaterThan(0);
    await redis.server!.restart();
    await waitFor(async () => (await redis.client.ping()) === 'PONG', {
      timeoutMs: 20_000,
      what: 'redis back',
    });
    expect(await redis.client.hlen(keys.eventsState)).toBeGreaterThan(0);
    await pushResults(redis.client, prefix, results.slice(third));
    await expectOneEventPerCar(prefix, results, plates);
  });
});
