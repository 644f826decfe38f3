import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { killChildren, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { removeWorkerBundle, spawnWorker, type WorkerChild, workerCommand } from './child.ts';
import { frame, pushFrames, readStream } from './helpers.ts';

/**
 * The reclaimer's dead-letter branch: a frame whose workers keep dying while they work on it is
 * dead-lettered by the next worker's reclaim round (stage `reclaim`) once it was delivered more than
 * WORKER_MAX_DELIVERIES times, instead of being handed out for ever.
 */
describe('reclaim dead-letter (real worker processes killed mid-frame)', () => {
  let t: TestRedis;
  const children: WorkerChild[] = [];
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await killChildren(children);
    await t.close();
    removeWorkerBundle();
  });

  it('a frame whose worker is SIGKILLed on every delivery lands in the DLQ with stage reclaim', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const cmd = await workerCommand();
    // The frame takes longer than any worker lives: each is killed while it works on the frame. (Had one
    // survived, its deadline would end the frame as an `inference` failure, which this test refuses.)
    const env = {
      WORKER_MAX_DELIVERIES: '2',
      // The test must kill each worker within the processing timeout of its delivery: generous for a
      // loaded machine, and the claim time (at least twice that) sets the pace of the test.
      WORKER_PROCESSING_TIMEOUT_MS: '5000',
      WORKER_CLAIM_IDLE_MS: '10000',
      WORKER_CLAIM_INTERVAL_MS: '200',
      WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    };
    let n = 0;
    const start = () => {
      const c = spawnWorker(cmd, config, `rdlq-${n++}`, env);
      children.push(c);
      return c;
    };
    const owner = async (): Promise<{ consumer: string; deliveries: number } | undefined> => {
      const rows = (await t.client.xpending(keys.frames, WORKER_GROUP, '-', '+', 10)) as [
        string,
        string,
        number,
        number,
      ][];
      return rows[0] ? { consumer: rows[0][1], deliveries: Number(rows[0][3]) } : undefined;
    };

    let worker = start();
    await worker.started;
    const [id] = await pushFrames(t.client, config.prefix, [frame({ plate: 'NEVER1', sleepMs: 60_000 })]);
    for (let delivery = 1; delivery <= 2; delivery++) {
      const current = worker;
      // Wait until this worker holds the frame (delivery `delivery`), then kill it mid-frame.
      await waitFor(
        async () => {
          const o = await owner();
          return o?.consumer === current.name && o.deliveries === delivery;
        },
        { what: `delivery ${delivery} to ${current.name}`, timeoutMs: 30_000, intervalMs: 10 },
      );
      current.proc.kill('SIGKILL');
      await current.exited;
      worker = start();
    }
    // The next worker reclaims it a third time (> WORKER_MAX_DELIVERIES = 2): straight to the DLQ.
    await waitFor(async () => (await t.client.xlen(keys.dlq)) === 1, {
      what: 'the DLQ entry',
      timeoutMs: 30_000,
    });
    const [dead] = await readStream(t.client, keys.dlq);
    expect(dead!.fields).toMatchObject({ frame: id, stage: 'reclaim', deliveries: '3', camera: 'cam-1' });
    expect(dead!.fields.error).toMatch(/WORKER_MAX_DELIVERIES=2/);
    expect(await t.client.xlen(keys.results)).toBe(0);
    expect(await owner()).toBeUndefined();
    worker.proc.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    await t.cleanup(config.prefix);
  }, 120_000);
});
