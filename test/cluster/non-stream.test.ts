import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { alertFieldList } from '../../alerts/alert-codec.ts';
import { Notifier } from '../../alerts/notifier.ts';
import { NOTIFIER_DEFAULTS } from '../../alerts/notifier-config.ts';
import { webhookQueueKeyPrefix } from '../../alerts/webhook-queue.ts';
import { erasePlate, withinOneEdit } from '../../privacy/erase.ts';
import { closeRedis, createRedis, waitReady } from '../../shared/redis/connection.ts';
import { keySlot } from '../../shared/redis/key-slot.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { queueSighting, readSightingsMatching } from '../../shared/redis/plate-index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { announceWatchlistChange } from '../../watchlist/admin.ts';
import {
  canOwnCluster,
  freePort,
  silentLogger,
  uniquePrefix,
  clusterPerFile,
} from '../harness/index.ts';

/**
 * The parts of the pipeline that are not partition streams, on a real Redis Cluster: keys spread over
 * every master (watchlist cache, plate index, alert windows), pub/sub, and BullMQ. Each of these failed
 * on a cluster before (SCAN on one node, CROSSSLOT multi-key commands, BullMQ keys in many slots).
 */
describe.skipIf(!canOwnCluster())('non-stream parts on a Redis Cluster', () => {
  const t = clusterPerFile();

  it('watchlist change: generation bump, cache keys of many slots deleted, announcement received', async () => {
    const config = { ...t.config(uniquePrefix('wl')), partitions: 6 };
    const keys = partitionsOf(config).global;
    const plates = Array.from({ length: 40 }, (_, i) => `WL${i}X`);
    for (const p of plates) await t.client.set(keys.watchlistCache(p), '{"v":0}');
    expect(new Set(plates.map((p) => keySlot(keys.watchlistCache(p)))).size).toBeGreaterThan(10);
    const sub = createRedis(config, 'consumer', { name: 'sub' });
    const producer = createRedis(config, 'producer', { name: 'admin' });
    await waitReady(producer, 10_000);
    const got: string[] = [];
    sub.on('message', (channel: string, msg: string) => {
      if (channel === keys.watchlistChannel) got.push(msg);
    });
    await sub.subscribe(keys.watchlistChannel);
    const v = await announceWatchlistChange(producer, keys, plates);
    expect(v).toBe(1);
    for (const p of plates) expect(await t.client.exists(keys.watchlistCache(p))).toBe(0);
    await waitFor(() => got.includes('1'), { what: 'the announcement on the change channel' });
    await closeRedis(sub);
    await closeRedis(producer);
    await t.cleanup(config.prefix);
  });

  it('plate pattern search and erasure find keys on every master', async () => {
    const config = { ...t.config(uniquePrefix('er')), partitions: 1 };
    const [keys] = partitionsOf(config).all;
    const global = partitionsOf(config).global;
    const redis = createRedis(config, 'consumer', { name: 'er' });
    // One partition on a cluster is hash-tagged too: a partition's keys share one slot.
    expect(keys!.frames).toBe(`${config.prefix}:{0}:frames`);
    const plates = Array.from({ length: 30 }, (_, i) => `AB${100 + i}`);
    for (const [i, p] of plates.entries()) {
      const tx = redis.multi();
      queueSighting(
        tx,
        keys!,
        p,
        { resultId: `${i + 1}-0`, camera: 'c1', ts: Date.now(), confidence: 0.9 },
        {
          retentionMs: 60_000,
        },
      );
      await tx.exec();
    }
    const found = await readSightingsMatching(redis, keys!, 'AB1*', { limit: 100 });
    expect(found.plates).toBe(30);
    // Cache keys of the erased plate and its neighbours lie in other slots than the partition's keys.
    await t.client.set(global.watchlistCache('AB105'), '{"v":0}');
    await t.client.set(global.watchlistCache('AB106'), '{"v":0}');
    expect(keySlot(global.watchlistCache('AB105'))).not.toBe(keySlot(global.watchlistCache('AB106')));
    // erasePlate takes the partition's keys; the watchlist cache keys are prefix-level (same prefix).
    const r = await erasePlate(redis, keys!, 'AB105', { fuzzy: true });
    const near = plates.filter((p) => p !== 'AB105' && withinOneEdit(p, 'AB105'));
    expect(near.length).toBeGreaterThan(5);
    expect(r.plates).toEqual(['AB105', ...near]);
    for (const p of r.plates) expect(await t.client.exists(keys!.plateIndex(p))).toBe(0);
    expect(await t.client.exists(global.watchlistCache('AB105'))).toBe(0);
    expect(await t.client.exists(global.watchlistCache('AB106'))).toBe(0);
    expect((await readSightingsMatching(redis, keys!, 'AB1*', { limit: 100 })).plates).toBe(
      plates.length - r.plates.length,
    );
    await closeRedis(redis);
    await t.cleanup(config.prefix);
  });

  it('the notifier delivers through BullMQ with its keys in one slot ({prefix:bull})', async () => {
    const config = { ...t.config(uniquePrefix('nt')), partitions: 3 };
    const parts = partitionsOf(config);
    const posts: string[] = [];
    const port = await freePort();
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        posts.push(String(req.headers['idempotency-key']));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const camera = `cam-${i}`;
      const fields = alertFieldList({
        plate: `NT${i}`,
        watchPlate: `NT${i}`,
        camera,
        ts: String(1_800_000_000_000 + i),
        frame: `${1_800_000_000_000 + i}-0`,
        entry: String(i + 1),
        label: 'l',
        fuzzy: '0',
        distance: '0',
        confidence: '0.9',
        webhook: '',
      });
      ids.push((await t.client.xadd(parts.of(camera).alerts, '*', ...fields))!);
    }
    const notifier = new Notifier(
      config,
      {
        ...NOTIFIER_DEFAULTS,
        defaultWebhook: `http://127.0.0.1:${port}/hook`,
        secret: 'test-secret-0123456789',
        consumer: 'n1',
        blockMs: 200,
        claimIdleMs: 300,
        lockMs: 1000,
        policy: { allow: ['127.0.0.1/32'] },
      },
      silentLogger,
    );
    try {
      await notifier.start();
      await waitFor(() => posts.length >= 9, { timeoutMs: 30_000, what: '9 webhook posts' });
      expect(new Set(posts).size).toBe(9);
      const q = webhookQueueKeyPrefix(t.client, parts.global);
      expect(q).toBe(`{${config.prefix}:bull}:webhooks`);
      expect(await t.client.exists(`${q}:meta`)).toBe(1);
    } finally {
      await notifier.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await t.cleanup(config.prefix);
  });
});
