import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { killChildren, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { removeWorkerBundle, spawnWorker, type WorkerChild, workerCommand } from './child.ts';
import { frame, groupPending, pushFrames } from './helpers.ts';

describe('worker process lifecycle', () => {
  let t: TestRedis;
  let cmd: string[];
  const children: WorkerChild[] = [];
  beforeAll(async () => {
    t = await useRedis();
    cmd = await workerCommand();
  });
  afterAll(async () => {
    await killChildren(children);
    await t.close();
    removeWorkerBundle();
  });

  const slowEnv = {
    TEST_RECOGNIZER_DELAY_MS: '700',
    WORKER_CONCURRENCY: '4',
    WORKER_PROCESSING_TIMEOUT_MS: '5000',
    WORKER_CLAIM_IDLE_MS: '10000',
  };

  it('SIGTERM with frames in flight: stops reading, completes them, exits 0', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const c = spawnWorker(cmd, config, 'graceful', slowEnv);
    children.push(c);
    await c.started;
    await pushFrames(
      t.client,
      config.prefix,
      Array.from({ length: 6 }, (_, i) => frame({ plate: `G${i}` })),
    );
    await waitFor(async () => (await groupPending(t.client, config.prefix)) === 4, {
      what: '4 frames in flight',
    });
    c.proc.kill('SIGTERM');
    const exit = await c.exited;
    expect(exit, c.output()).toEqual({ code: 0, signal: null });
    expect(await t.client.xlen(keys.results)).toBe(4);
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    // The two frames it never read are still there for the next worker.
    const groups = (await t.client.xinfo('GROUPS', keys.frames)) as unknown[][];
    expect(groups[0]![groups[0]!.indexOf('lag') + 1]).toBe(2);
    await t.cleanup(config.prefix);
  });

  it('a second signal exits at once; its frames stay pending for reclaim', async () => {
    const config = t.config();
    const c = spawnWorker(cmd, config, 'impatient', slowEnv);
    children.push(c);
    await c.started;
    await pushFrames(
      t.client,
      config.prefix,
      Array.from({ length: 2 }, () => frame({ plate: 'I1' })),
    );
    await waitFor(async () => (await groupPending(t.client, config.prefix)) === 2, {
      what: 'frames in flight',
    });
    c.proc.kill('SIGTERM');
    await waitFor(() => c.output().includes('shutting down'), { what: 'first signal handled' });
    c.proc.kill('SIGTERM');
    const exit = await c.exited;
    expect(exit.code).toBe(130);
    expect(await groupPending(t.client, config.prefix)).toBe(2);
    await t.cleanup(config.prefix);
  });
});
