import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRedisError, closeRedis, createRedis, waitReady } from '../redis/connection.ts';
import { isPlatestreamError } from '../errors.ts';
import { waitFor } from '../util/wait.ts';
import { canOwnServer, type TestRedis, useRedis } from '../../test/harness/index.ts';

describe.skipIf(!canOwnServer())('redis connections across a Redis restart', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis({ appendonly: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('producer fails fast while Redis is down and recovers by itself; consumer waits and recovers', async () => {
    const config = t.config();
    const producer = createRedis(config, 'producer');
    const consumer = createRedis(config, 'consumer');
    await waitReady(producer, 5000);
    await producer.set(`${config.prefix}:k`, '1');
    await t.server!.kill();

    const started = Date.now();
    const err = await producer.get(`${config.prefix}:k`).then(
      () => undefined,
      (e: unknown) => asRedisError(e, 'reading k'),
    );
    expect(isPlatestreamError(err, 'REDIS_UNAVAILABLE')).toBe(true);
    // Fails at the command timeout (2 s) instead of waiting for Redis; the bound is generous for a loaded
    // machine and still far below the wait for a Redis that never comes back.
    expect(Date.now() - started).toBeLessThan(15_000);

    const pending = consumer.get(`${config.prefix}:k`);
    await t.server!.start();
    expect(await pending).toBe('1');
    await waitFor(async () => (await producer.get(`${config.prefix}:k`).catch(() => null)) === '1', {
      what: 'producer to reconnect',
    });
    await closeRedis(producer);
    await closeRedis(consumer);
    await t.cleanup(config.prefix);
  });
});
