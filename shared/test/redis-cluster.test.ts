import { describe, expect, it } from 'vitest';
import { canOwnCluster, clusterPerFile } from '../../test/harness/index.ts';
import { EnvReader } from '../config/env-reader.ts';
import { readRedisConfig } from '../config/redis-config.ts';
import { clusterUrlFrom, parseClusterUrl } from '../redis/cluster-url.ts';
import { asRedisError, closeRedis, createRedis, isCluster, waitReady } from '../redis/connection.ts';
import { isPlatestreamError } from '../errors.ts';
import { deleteKeysOfPrefix } from '../redis/delete-prefix.ts';
import { keySlot } from '../redis/key-slot.ts';
import { StreamKeys } from '../redis/keys.ts';
import { scanKeys } from '../redis/scan-keys.ts';
import { BlockingReader } from '../redis/stream/blocking-reader.ts';
import { fieldValue } from '../redis/stream/stream-entry.ts';
import { ensureGroup } from '../redis/stream/ensure-group.ts';

describe('Redis Cluster configuration', () => {
  it('REDIS_CLUSTER_NODES takes TLS and ACL from REDIS_URL', () => {
    const r = new EnvReader({
      REDIS_URL: 'rediss://alice:s%40cret@ignored.example:6380',
      REDIS_CLUSTER_NODES: 'n1.example:7000, n2.example:7001',
    });
    const c = readRedisConfig(r);
    r.finish();
    expect(c.url).toBe('rediss+cluster://alice:s%40cret@n1.example:7000,n2.example:7001');
    const p = parseClusterUrl(c.url);
    expect(p.nodes).toEqual([
      { host: 'n1.example', port: 7000 },
      { host: 'n2.example', port: 7001 },
    ]);
    expect(p.nodeOptions).toMatchObject({ username: 'alice', password: 's@cret', tls: {} });
  });

  it('accepts a redis+cluster:// REDIS_URL, IPv6 and default ports, insecure TLS', () => {
    const p = parseClusterUrl('rediss+cluster://:pw@[::1]:7000,h2?insecure=true');
    expect(p.nodes).toEqual([
      { host: '::1', port: 7000 },
      { host: 'h2', port: 6379 },
    ]);
    expect(p.nodeOptions).toEqual({ password: 'pw', tls: { rejectUnauthorized: false } });
    expect(clusterUrlFrom('a:1', 'redis://127.0.0.1:6379')).toBe('redis+cluster://a:1');
  });

  it('reports a bad node list, a database index and both forms at once, naming the variable', () => {
    for (const [env, what] of [
      [{ REDIS_CLUSTER_NODES: 'a:1,b:notaport' }, /REDIS_CLUSTER_NODES.*"b:notaport" is not host:port/],
      [{ REDIS_URL: 'redis://h/2', REDIS_CLUSTER_NODES: 'a:1' }, /REDIS_URL.*only database 0/],
      [{ REDIS_URL: 'redis+cluster://a:1', REDIS_CLUSTER_NODES: 'a:1' }, /REDIS_CLUSTER_NODES.*not both/],
      [{ REDIS_URL: 'redis+cluster://a:1/3' }, /REDIS_URL.*only database 0/],
    ] as const) {
      const r = new EnvReader(env);
      readRedisConfig(r);
      expect(() => r.finish()).toThrow(what);
    }
  });

  it('a Cluster client giving up during a failover means REDIS_UNAVAILABLE (503), like a dropped connection', () => {
    for (const msg of [
      'Too many Cluster redirections. Last error: Error: Connection is closed.',
      'None of startup nodes is available',
      'Failed to refresh slots cache.',
      "Cluster isn't ready and enableOfflineQueue options is false",
    ]) {
      expect(
        isPlatestreamError(asRedisError(new Error(msg), 'adding a frame'), 'REDIS_UNAVAILABLE'),
        msg,
      ).toBe(true);
    }
  });

  it('computes hash slots as Redis does (hash tags included)', () => {
    // Reference values from CLUSTER KEYSLOT on Redis 7.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('lpr:{0}:frames')).toBe(13907);
    expect(keySlot('{user1000}.following')).toBe(3443);
    expect(keySlot('x{}y')).toBe(16116);
    expect(keySlot('lpr:{0}:results')).toBe(keySlot('lpr:{0}:frames'));
  });
});

describe.skipIf(!canOwnCluster())('connections on a local Redis Cluster', () => {
  const t = clusterPerFile();

  it('createRedis builds a Cluster client for every role; SCAN helpers visit every master', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const producer = createRedis(config, 'producer', { name: 'p' });
    const consumer = createRedis(config, 'consumer', { name: 'c' });
    await waitReady(producer, 10_000);
    expect(isCluster(producer) && isCluster(consumer)).toBe(true);
    // Keys spread over every master.
    const names = Array.from({ length: 60 }, (_, i) => `${config.prefix}:k${i}`);
    for (const k of names) await producer.set(k, k);
    expect(new Set(await Promise.all(names.map((k) => t.cluster.masterPortForKey(k)))).size).toBe(3);
    const seen: string[] = [];
    for await (const batch of scanKeys(consumer, keys.scanPattern)) seen.push(...batch.keys);
    expect(seen.sort()).toEqual([...names].sort());
    await deleteKeysOfPrefix(consumer, keys);
    const left: string[] = [];
    for await (const batch of scanKeys(consumer, keys.scanPattern)) left.push(...batch.keys);
    expect(left).toEqual([]);
    // duplicate() keeps the cluster options (the notifier and BullMQ duplicate connections).
    const dup = (consumer as import('ioredis').Cluster).duplicate();
    dup.on('error', () => {});
    expect(await dup.set(`${config.prefix}:dup`, '1')).toBe('OK');
    dup.disconnect();
    await closeRedis(producer);
    await closeRedis(consumer);
    await t.cleanup(config.prefix);
  });

  it('a blocking reader and a consumer carry on across a master failover (SIGKILL)', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix, '0');
    const consumer = createRedis(config, 'consumer', { name: 'c' });
    await ensureGroup(consumer, keys.frames, 'g');
    const reader = new BlockingReader(config, { name: 'r', blockMs: 300, marginMs: 2000 });
    await reader.waitReady(10_000);
    await consumer.xadd(keys.frames, '*', 'n', '1');
    const first = await reader.readGroup({ group: 'g', consumer: 'w', streams: [keys.frames], count: 10 });
    expect(first.map((e) => e.id)).toHaveLength(1);

    const killed = await t.cluster.failMasterOf(keys.frames);
    // The consumer connection follows the new master by itself (MOVED / slot refresh, retries meanwhile).
    await consumer.xadd(keys.frames, '*', 'n', '2');
    const deadline = Date.now() + 30_000;
    let got: string[] = [];
    while (got.length === 0 && Date.now() < deadline) {
      got = (
        await reader
          .readGroup({ group: 'g', consumer: 'w', streams: [keys.frames], count: 10 })
          .catch(() => [])
      ).map((e) => String(fieldValue(e, 'n')));
    }
    expect(got).toEqual(['2']);
    await killed.start();
    await t.cluster.waitHealthy();
    await reader.close();
    await closeRedis(consumer);
    await t.cleanup(config.prefix);
  }, 60_000);
});
