import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../redis/keys.ts';
import { LeaseLock } from '../redis/lease-lock.ts';
import { runScript } from '../redis/scripts.ts';
import { createRedis, closeRedis } from '../redis/connection.ts';
import { waitFor } from '../util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';

describe('LeaseLock', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is held by one owner at a time, hands out increasing fencing tokens, renews and releases by compare', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const redis = createRedis(config, 'consumer');
    const mk = (owner: string, ttlMs = 300) =>
      new LeaseLock(redis, { key: keys.housekeepingLock, fenceKey: keys.fencingCounter, owner, ttlMs });
    const a = mk('a');
    const b = mk('b');
    const la = await a.acquireOrRenew();
    expect(la?.token).toBe(1);
    expect(await b.acquireOrRenew()).toBeUndefined();
    expect((await a.acquireOrRenew())?.token).toBe(1); // renewal keeps the token

    // a stops renewing; the lease runs out and b takes over with a higher token.
    const lb = await waitFor(() => b.acquireOrRenew(), { what: 'b to take over', timeoutMs: 3000 });
    expect(lb.token).toBe(2);
    // a's late renewal and release must not touch b's lease.
    expect(await a.acquireOrRenew()).toBeUndefined();
    await a.release();
    expect(await t.client.get(keys.housekeepingLock)).toBe(lb.value);

    // A fenced write with a's stale value is refused.
    await t.client.xadd(keys.frames, '*', 'f', 'v');
    await t.client.xgroup('CREATE', keys.frames, 'g', '$');
    const [trimmed] = await runScript<[number, string]>(
      redis,
      'trimFrames',
      [keys.housekeepingLock, keys.frames],
      [la!.value],
    );
    expect(trimmed).toBe(-1);
    expect(await t.client.xlen(keys.frames)).toBe(1);
    const [ok] = await runScript<[number, string]>(
      redis,
      'trimFrames',
      [keys.housekeepingLock, keys.frames],
      [lb.value],
    );
    expect(ok).toBe(1);

    await b.release();
    expect(await t.client.exists(keys.housekeepingLock)).toBe(0);
    expect((await a.acquireOrRenew())?.token).toBe(3);
    await closeRedis(redis);
    await t.cleanup(config.prefix);
  });
});
