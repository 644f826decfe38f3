import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  canOwnServer,
  killChildren,
  silentLogger,
  type TestRedis,
  useRedis,
} from '../../test/harness/index.ts';
import { jpegOfSize, TOKEN_A, testIngestConfig } from '../../ingest/test/helpers.ts';
import { type IngestService, startIngest } from '../../ingest/service.ts';
import { removeWorkerBundle, spawnWorker, type WorkerChild, workerCommand } from './child.ts';

const MAXMEMORY = 24 * 1024 * 1024;

/**
 * Issue 17 item 1: a real Redis at maxmemory with noeviction. Ingest fills it until Redis itself refuses
 * (the stream memory budget is set far above maxmemory); then workers start (their XGROUP CREATE answers
 * OOM), consume, and housekeeping (its lock script writes while Redis is full) trims what they acknowledged,
 * so ingest admits frames again without anyone touching Redis.
 */
describe.skipIf(!canOwnServer())('Redis full (maxmemory + noeviction)', () => {
  let t: TestRedis;
  let svc: IngestService;
  let keys: StreamKeys;
  const children: WorkerChild[] = [];

  beforeAll(async () => {
    t = await useRedis({ args: ['--maxmemory', String(MAXMEMORY), '--maxmemory-policy', 'noeviction'] });
    const config = testIngestConfig(t, {
      LPR_STREAM_MEMORY_BUDGET: '1GB',
      LPR_MAX_BACKLOG: '1000000',
      LOG_LEVEL: 'silent',
    });
    keys = new StreamKeys(config.redis.prefix);
    svc = await startIngest(config, { logger: silentLogger });
  });
  afterAll(async () => {
    await killChildren(children);
    await svc?.close();
    await t.close();
    removeWorkerBundle();
  });

  async function post(body: Buffer, seq: number) {
    const res = await fetch(
      `${svc.url}/v1/cameras/cam-a/frames?seq=${seq}&meta=${encodeURIComponent('{"plate":"FULL1"}')}`,
      {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN_A}` },
        body: new Uint8Array(body),
      },
    );
    return {
      status: res.status,
      body: (await res.json()) as { id?: string; error?: { code: string; message: string } },
    };
  }

  it('fills up, then drains by itself once workers run: ingest answers 202 again', async () => {
    const img = await jpegOfSize(200 * 1024, 3);
    let accepted = 0;
    let refusal: { status: number; body: { error?: { code: string; message: string } } } | undefined;
    for (let seq = 0; seq < 1000 && !refusal; seq++) {
      const res = await post(img, seq);
      if (res.status === 202) accepted++;
      else refusal = res;
    }
    expect(refusal, 'Redis never filled up').toBeDefined();
    expect(refusal!.status).toBe(503);
    expect(refusal!.body.error?.code).toBe('REDIS_UNAVAILABLE');
    expect(refusal!.body.error?.message).toMatch(/Redis is full/);
    expect(accepted).toBeGreaterThan(20);
    // Redis refuses a frame-sized write now. Small commands still fit under maxmemory; set it just below what
    // is used (as results written by completions push memory over it) so that every write that could grow
    // memory is refused: worker start-up and the housekeeping lock must cope with that too.
    await expect(t.client.set(`${keys.prefix}:probe`, img)).rejects.toThrow(/^OOM/);
    const used = Number(/used_memory:(\d+)/.exec(await t.client.info('memory'))![1]);
    await t.client.config('SET', 'maxmemory', String(used - 512 * 1024));
    await expect(t.client.set(`${keys.prefix}:probe`, 'x')).rejects.toThrow(/^OOM/);

    const cmd = await workerCommand();
    for (const name of ['full-a', 'full-b']) {
      const c = spawnWorker(cmd, t.config(keys.prefix), name, {
        WORKER_HOUSEKEEPING_INTERVAL_MS: '200',
        WORKER_CONCURRENCY: '8',
      });
      children.push(c);
    }
    await Promise.all(children.map((c) => c.started));

    // Every frame admitted before the refusal gets its result; acknowledged frames are trimmed.
    await waitFor(async () => (await t.client.xlen(keys.results)) >= accepted, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: `${accepted} results`,
    });
    await waitFor(async () => (await t.client.xlen(keys.frames)) < accepted / 2, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'acknowledged frames trimmed',
    });
    const again = await waitFor(
      async () => {
        const res = await post(img, 5000);
        return res.status === 202 ? res : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'ingest to answer 202 again' },
    );
    expect(again.body.id).toBeDefined();
    for (const c of children) expect(c.alive(), c.output()).toBe(true);
  }, 300_000);
});
