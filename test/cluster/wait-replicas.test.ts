import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIngestConfig } from '../../ingest/config.ts';
import { type IngestService, startIngest } from '../../ingest/service.ts';
import { makeImage } from '../../ingest/test/helpers.ts';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { RedisServerProcess } from '../../shared/redis/local-redis-server.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  canOwnCluster,
  canOwnServer,
  silentLogger,
  type TestRedis,
  uniquePrefix,
  useRedis,
  clusterPerFile,
} from '../harness/index.ts';

type Answer = {
  status: number;
  retryAfter: string | null;
  body: { id?: string; duplicate?: boolean; error?: { code: string; message: string } };
};

function ingestEnv(url: string, env: Record<string, string>) {
  return readIngestConfig(
    new EnvReader({
      REDIS_URL: url,
      LPR_PREFIX: uniquePrefix('wait'),
      LPR_INGEST_HOST: '127.0.0.1',
      LPR_INGEST_PORT: '0',
      LPR_AUTH: 'open',
      LOG_LEVEL: 'silent',
      LPR_WAIT_REPLICAS: '1',
      LPR_WAIT_TIMEOUT_MS: '300',
      ...env,
    }),
  );
}

async function post(svc: IngestService, camera: string, img: Buffer, key: string): Promise<Answer> {
  const res = await fetch(`${svc.url}/v1/cameras/${camera}/frames`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', 'idempotency-key': key },
    body: new Uint8Array(img),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Answer['body'],
  };
}

describe('LPR_WAIT_REPLICAS configuration', () => {
  it('a WAIT timeout at or above the command timeout is refused, naming both variables', () => {
    expect(() =>
      ingestEnv('redis://127.0.0.1:6379', { LPR_WAIT_TIMEOUT_MS: '2000', REDIS_COMMAND_TIMEOUT_MS: '2000' }),
    ).toThrow(/LPR_WAIT_TIMEOUT_MS.*below REDIS_COMMAND_TIMEOUT_MS/);
    expect(ingestEnv('redis://127.0.0.1:6379', { LPR_WAIT_REPLICAS: '0' }).backpressure.waitReplicas).toBe(0);
  });
});

describe.skipIf(!canOwnServer())('LPR_WAIT_REPLICAS on one server', () => {
  let t: TestRedis;
  let replica: RedisServerProcess | undefined;
  beforeAll(async () => {
    t = await useRedis({ requireOwnServer: true });
  });
  afterAll(async () => {
    await replica?.destroy();
    await t?.close();
  });

  it('without a replica: 503 REPLICA_WAIT_TIMEOUT (Retry-After); once a replica syncs, the retry is confirmed', async () => {
    // A generous WAIT: on a loaded 2-core machine a healthy replica may take a few hundred ms to confirm.
    const config = ingestEnv(t.url, { LPR_WAIT_TIMEOUT_MS: '1500', REDIS_COMMAND_TIMEOUT_MS: '3000' });
    const keys = new StreamKeys(config.redis.prefix);
    const svc = await startIngest(config, { logger: silentLogger });
    try {
      const img = await makeImage('jpeg', { seed: 3 });
      const first = await post(svc, 'cam-1', img, 'k1');
      expect(first.status).toBe(503);
      expect(first.retryAfter).toBe('1');
      expect(first.body.error?.code).toBe('REPLICA_WAIT_TIMEOUT');
      expect(first.body.error?.message).toMatch(/0 of 1 replicas .*LPR_WAIT_REPLICAS.*Idempotency-Key/);
      // Written on the master all the same (WAIT cannot undo a write): the retry must find it.
      expect(await t.client.xlen(keys.frames)).toBe(1);
      await t.client.config('SET', 'repl-diskless-sync-delay', '0');
      replica = await RedisServerProcess.start({
        args: ['--replicaof', '127.0.0.1', String(t.server!.port)],
      });
      const r = new Redis(replica.port);
      await waitFor(async () => /master_link_status:up/.test(String(await r.info('replication'))), {
        what: 'the replica to sync',
      });
      r.disconnect();
      // A camera retries with the same key; on a loaded machine the first retry may still time out.
      const retry = await waitFor(
        async () => {
          const a = await post(svc, 'cam-1', img, 'k1');
          return a.status === 202 ? a : undefined;
        },
        { timeoutMs: 15_000, what: 'the retry to be confirmed by the replica' },
      );
      expect(retry.body).toMatchObject({ duplicate: true });
      expect(await t.client.xlen(keys.frames)).toBe(1);
      const next = await post(svc, 'cam-1', img, 'k2');
      expect(next.status).toBe(202);
      expect(next.body.duplicate).toBeUndefined();
    } finally {
      await svc.close();
      await t.cleanup(config.redis.prefix);
    }
  });
});

describe.skipIf(!canOwnCluster())('LPR_WAIT_REPLICAS on a Redis Cluster', () => {
  const t = clusterPerFile();

  it('every 202 frame is already on the replica of its partition master', async () => {
    const config = ingestEnv(t.url, { LPR_PARTITIONS: '6' });
    const parts = partitionsOf(config.redis);
    const svc = await startIngest(config, { logger: silentLogger });
    try {
      const img = await makeImage('jpeg', { seed: 4 });
      const acked: { camera: string; id: string }[] = [];
      for (let i = 0; i < 24; i++) {
        const camera = `cam-${i % 12}`;
        const a = await post(svc, camera, img, `k${i}`);
        expect(a.status, JSON.stringify(a.body)).toBe(202);
        acked.push({ camera, id: a.body.id! });
      }
      expect(new Set(acked.map((a) => parts.index(a.camera))).size).toBeGreaterThan(3);
      const topo = await t.cluster.topology();
      for (const a of acked) {
        const stream = parts.of(a.camera).frames;
        const masterPort = await t.cluster.masterPortForKey(stream);
        const master = topo.find((n) => n.port === masterPort)!;
        const replicaPort = topo.find((n) => n.masterId === master.id)!.port;
        const r = new Redis(replicaPort);
        await r.call('READONLY');
        const rows = (await r.xrange(stream, a.id, a.id)) as unknown[];
        r.disconnect();
        expect(rows, `${a.id} of ${a.camera} on replica ${replicaPort}`).toHaveLength(1);
      }
    } finally {
      await svc.close();
      await t.cleanup(config.redis.prefix);
    }
  });
});
