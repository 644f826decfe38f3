import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { freePort, killChildren, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { collectStats, formatStats } from '../stats.ts';
import { removeWorkerBundle, spawnWorker, type WorkerChild, workerCommand } from './child.ts';
import { frame, pushFrames } from './helpers.ts';

/** Live and dead consumers: a SIGKILLed worker is listed as dead, a SIGTERMed one leaves the group. */
describe('worker consumers and heartbeats (real processes)', () => {
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

  it('stats and platestream_group_consumers count live workers; killed ones are listed as dead, stopped ones leave', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const cmd = await workerCommand();
    // Alive for 3 x 500 ms after each heartbeat: long enough for a loaded machine's event-loop stalls.
    const env = { WORKER_HEARTBEAT_MS: '500' };
    const port = await freePort();
    const killed = spawnWorker(cmd, config, 'hb-killed', env);
    const stopped = spawnWorker(cmd, config, 'hb-stopped', env);
    const survivor = spawnWorker(cmd, config, 'hb-survivor', { ...env, WORKER_HTTP_PORT: String(port) });
    children.push(killed, stopped, survivor);
    await Promise.all(children.map((c) => c.started));
    await pushFrames(
      t.client,
      config.prefix,
      Array.from({ length: 30 }, (_, i) => frame({ plate: `HB${i}` })),
    );
    await waitFor(async () => (await t.client.xlen(keys.results)) === 30, {
      what: 'results',
      timeoutMs: 20_000,
    });
    const names = async () =>
      ((await t.client.xinfo('CONSUMERS', keys.frames, WORKER_GROUP)) as unknown[][]).map((c) =>
        String(c[1]),
      );
    await waitFor(async () => (await names()).length === 3, { what: 'three consumers', timeoutMs: 20_000 });
    const before = await collectStats(t.client, keys);
    expect(
      before.consumers
        .filter((c) => c.alive)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['hb-killed', 'hb-stopped', 'hb-survivor']);

    killed.proc.kill('SIGKILL');
    stopped.proc.kill('SIGTERM');
    expect((await stopped.exited).code).toBe(0);
    expect(await names()).not.toContain('hb-stopped');

    // The killed worker's heartbeat runs out (3 x 500 ms); it stays listed, as dead.
    const after = await waitFor(
      async () => {
        const s = await collectStats(t.client, keys);
        const alive = (name: string) => s.consumers.find((c) => c.name === name)?.alive;
        return alive('hb-killed') === false && alive('hb-survivor') === true ? s : undefined;
      },
      { what: 'the killed worker listed as dead beside the live survivor', timeoutMs: 20_000 },
    );
    expect(after.consumers.map((c) => [c.name, c.alive]).sort()).toEqual([
      ['hb-killed', false],
      ['hb-survivor', true],
    ]);
    const text = formatStats(after);
    expect(text).toContain('live workers (workers): 1');
    expect(text).toMatch(/dead consumers: 1[^\n]*\n\s+hb-killed/);

    // The survivor's /metrics counts one live consumer and one dead one.
    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^platestream_group_consumers 1$/m.test(text) ? text : undefined;
      },
      { what: 'one live consumer on /metrics', timeoutMs: 20_000 },
    );
    expect(metrics).toMatch(/^platestream_group_consumers_dead 1$/m);

    survivor.proc.kill('SIGTERM');
    expect((await survivor.exited).code).toBe(0);
    expect(await names()).toEqual(['hb-killed']);
    expect(await t.client.zrange(keys.workerHeartbeats, 0, -1)).toEqual(['hb-killed']);
    await t.cleanup(config.prefix);
  }, 90_000);
});
