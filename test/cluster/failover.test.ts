import { afterAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../ingest/test/helpers.ts';
import { decodeResult } from '../../shared/codec/result-codec.ts';
import { WORKER_GROUP } from '../../shared/redis/keys.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  type Child,
  canOwnCluster,
  freePort,
  killChildren,
  spawnPlatestream,
  uniquePrefix,
  clusterPerFile,
} from '../harness/index.ts';

/**
 * Issue 14, failover: real `platestream ingest` and `platestream worker` processes on a local Redis Cluster
 * (3 masters + 3 replicas, LPR_PARTITIONS=6, LPR_WAIT_REPLICAS=1). Mid-run the master of partition 0 is
 * SIGKILLed and, during the failover, one of the two workers too. Nothing is restarted but the dead Redis
 * node (so that its slots have a replica again). Checks: every frame ingest answered 202 for has exactly one
 * result (none lost, none doubled); the processes that stayed up carried on (frames acknowledged after the
 * failover, in every partition, have their results).
 */
describe.skipIf(!canOwnCluster())('failover on a Redis Cluster', () => {
  const children: Child[] = [];
  afterAll(async () => {
    await killChildren(children);
  });
  const t = clusterPerFile();

  it('a master and a worker SIGKILLed mid-run: every 202 frame gets exactly one result, no process restarted', async () => {
    const prefix = uniquePrefix('fo');
    const config = { ...t.config(prefix), partitions: 6 };
    const parts = partitionsOf(config);
    const port = await freePort();
    const common = {
      REDIS_URL: t.url,
      LPR_PREFIX: prefix,
      LPR_PARTITIONS: '6',
      LOG_LEVEL: 'info',
      REDIS_COMMAND_TIMEOUT_MS: '2000',
    };
    const ingest = spawnPlatestream(['ingest'], {
      name: 'ingest',
      env: {
        ...common,
        LPR_AUTH: 'open',
        LPR_INGEST_HOST: '127.0.0.1',
        LPR_INGEST_PORT: String(port),
        LPR_WAIT_REPLICAS: '1',
        LPR_WAIT_TIMEOUT_MS: '800',
      },
    });
    children.push(ingest);
    const worker = (name: string) => {
      const c = spawnPlatestream(['worker'], {
        name,
        env: {
          ...common,
          LPR_RECOGNIZER: 'noop',
          WORKER_CONSUMER: name,
          WORKER_HTTP_PORT: 'auto',
          WORKER_HTTP_HOST: '127.0.0.1',
          WORKER_BLOCK_MS: '500',
          WORKER_PROCESSING_TIMEOUT_MS: '1000',
          WORKER_CLAIM_IDLE_MS: '2500',
          WORKER_CLAIM_INTERVAL_MS: '500',
        },
      });
      children.push(c);
      return c;
    };
    const [w1, w2] = [worker('w1'), worker('w2')];
    await Promise.all([
      ingest.logged('ingest listening'),
      w1.logged('worker started'),
      w2.logged('worker started'),
    ]);
    const base = `http://127.0.0.1:${port}`;
    const img = await makeImage('jpeg', { seed: 9 });

    // Four senders, like cameras: each frame is retried (same Idempotency-Key) until it gets a 202.
    const total = 360;
    const acked = new Map<string, { camera: string; id: string; at: number }>();
    const answers = new Map<string, number>();
    let next = 0;
    const send = async () => {
      for (let i = next++; i < total; i = next++) {
        const camera = `cam-${String(i % 12).padStart(2, '0')}`;
        const deadline = Date.now() + 90_000;
        for (;;) {
          const res = await fetch(`${base}/v1/cameras/${camera}/frames`, {
            method: 'POST',
            headers: { 'content-type': 'image/jpeg', 'idempotency-key': `f-${i}` },
            body: new Uint8Array(img),
            signal: AbortSignal.timeout(15_000),
          }).catch(() => undefined);
          const body = res ? ((await res.json()) as { id?: string; error?: { code: string } }) : {};
          const what = res ? `${res.status}${body.error ? ` ${body.error.code}` : ''}` : 'no answer';
          answers.set(what, (answers.get(what) ?? 0) + 1);
          if (res?.status === 202 && body.id) {
            acked.set(`f-${i}`, { camera, id: body.id, at: Date.now() });
            break;
          }
          if (Date.now() > deadline) throw new Error(`frame f-${i} never acknowledged (${what})`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const senders = Array.from({ length: 4 }, () => send());

    await waitFor(() => acked.size >= total / 3, {
      timeoutMs: 60_000,
      what: 'a third of the frames acknowledged',
    });
    const victim = parts.all[0]!.frames;
    const killed = await t.cluster.killMasterOf(victim);
    w1.proc.kill('SIGKILL');
    const failedAt = Date.now();
    await t.cluster.waitForFailover(victim);
    // The new master has no replica until the old one rejoins as its replica: bring it back.
    await killed.start();
    await t.cluster.waitHealthy();
    await Promise.all(senders);
    expect(acked.size).toBe(total);

    // Exactly one result per acknowledged frame, in its camera's partition; nothing left pending.
    const results = await waitFor(
      async () => {
        const byFrame = new Map<string, number>();
        for (const [p, k] of parts.all.entries()) {
          for (const [rid, fields] of (await t.client.xrange(k.results, '-', '+')) as [string, string[]][]) {
            const key = `${p}/${decodeResult(rid, fields).frame}`;
            byFrame.set(key, (byFrame.get(key) ?? 0) + 1);
          }
        }
        const missing = [...acked.values()].filter((a) => !byFrame.has(`${parts.index(a.camera)}/${a.id}`));
        return missing.length === 0 ? byFrame : undefined;
      },
      { timeoutMs: 60_000, what: 'a result for every acknowledged frame' },
    ).catch(async (err: unknown) => {
      // Say what is missing: is the frame in its stream, pending, delivered?
      const lines: string[] = [];
      for (const a of acked.values()) {
        const k = parts.of(a.camera);
        const rows = (await t.client.xrange(k.results, '-', '+')) as [string, string[]][];
        if (rows.some(([rid, f]) => decodeResult(rid, f).frame === a.id)) continue;
        const frame = (await t.client.xrange(k.frames, a.id, a.id)) as unknown[];
        const pend = await t.client.xpending(k.frames, WORKER_GROUP, a.id, a.id, 1);
        const info = await t.client.xinfo('GROUPS', k.frames);
        lines.push(
          `${a.id} p${parts.index(a.camera)} at+${a.at - failedAt}ms inStream=${frame.length} pending=${JSON.stringify(pend)} groups=${JSON.stringify(info)}`,
        );
      }
      throw new Error(
        `${String(err)}\n${lines.slice(0, 10).join('\n')}\n(${lines.length} missing)\nw2: ${w2.output().slice(-3000)}`,
      );
    });
    const doubled = [...results.entries()].filter(([, n]) => n > 1);
    expect(doubled).toEqual([]);
    for (const k of parts.all) {
      await waitFor(
        async () => Number(((await t.client.xpending(k.frames, WORKER_GROUP)) as [number])[0]) === 0,
        {
          timeoutMs: 30_000,
          what: `nothing pending on ${k.frames}`,
        },
      );
    }
    // The failover happened mid-run and the processes that stayed up went on: frames acknowledged after it,
    // in the failed partition too, were processed; ingest met 503s meanwhile and no process exited.
    const after = [...acked.values()].filter((a) => a.at > failedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.some((a) => parts.index(a.camera) === 0)).toBe(true);
    expect(ingest.alive() && w2.alive()).toBe(true);
    expect([...answers.keys()].some((k) => k.startsWith('503'))).toBe(true);
    await t.cleanup(prefix);
  }, 240_000);
});
