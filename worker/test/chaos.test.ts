import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER, StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { canOwnServer, killChildren, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { removeWorkerBundle, spawnWorker, WorkerChaos, type WorkerChild, workerCommand } from './child.ts';
import { frame, groupPending, pushFrames, readStream, resultCounts } from './helpers.ts';

/**
 * Exactly-once under crashes: real worker processes are SIGKILLed while frames flow, Redis is killed and
 * restarted; at the end every frame has exactly one result and nothing is pending.
 */
describe.skipIf(!canOwnServer())('chaos (real worker processes)', () => {
  let t: TestRedis;
  const children: WorkerChild[] = [];
  let cmd: string[];
  beforeAll(async () => {
    t = await useRedis({ appendonly: true });
    cmd = await workerCommand();
  });
  afterAll(async () => {
    await killChildren(children);
    await t.close();
    removeWorkerBundle();
  });

  async function assertExactlyOnce(prefix: string, expected: Map<string, string>) {
    const keys = new StreamKeys(prefix);
    const rows = await readStream(t.client, keys.results);
    const counts = resultCounts(rows);
    const missing = [...expected.keys()].filter((id) => !counts.has(id));
    const doubled = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const unknown = [...counts.keys()].filter((id) => !expected.has(id));
    expect({ missing: missing.length, doubled: doubled.length, unknown: unknown.length }).toEqual({
      missing: 0,
      doubled: 0,
      unknown: 0,
    });
    for (const r of rows) expect(r.fields.plate).toBe(expected.get(r.fields.frame!));
    expect(await groupPending(t.client, prefix)).toBe(0);
    expect(await t.client.xlen(keys.dlq)).toBe(0);
  }

  it('2000+ frames (until 10 kills) while a random worker is SIGKILLed every ~500 ms: one result per frame, none pending', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // 20 ms per frame: most kills hit frames in flight, which must then be reclaimed by another worker.
    const env = { TEST_RECOGNIZER_DELAY_MS: '20', WORKER_CONCURRENCY: '8', WORKER_MAX_DELIVERIES: '50' };
    // Every ~500 ms one working worker dies, as long as another one is working.
    const chaos = new WorkerChaos({
      start: (name) => spawnWorker(cmd, config, name, env),
      namePrefix: 'chaos',
      count: 3,
      everyMs: 500,
      children,
    });

    const expected = new Map<string, string>();
    const total = 2000;
    const minKills = 10;
    try {
      // At least `total` frames, and more (up to 3x) until `minKills` kills happened: on a loaded machine
      // restarted workers take longer to come up, fewer are killable, and the kills would thin out.
      for (let i = 0; i < total || (chaos.kills < minKills && i < 3 * total); i += 25) {
        const batch = Array.from({ length: 25 }, (_, j) => frame({ plate: `C${i + j}` }));
        const ids = await pushFrames(t.client, config.prefix, batch);
        ids.forEach((id, j) => {
          expected.set(id, `C${i + j}`);
        });
        // ~250 frames/s: the run spans many kills. Pace on the results so a slow machine is not flooded.
        await waitFor(async () => (await t.client.xlen(keys.results)) >= i - 400, { timeoutMs: 20_000 });
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      chaos.stop();
    }
    await waitFor(
      async () =>
        (await t.client.xlen(keys.results)) >= expected.size &&
        (await groupPending(t.client, config.prefix)) === 0,
      { what: 'all frames completed after the chaos', timeoutMs: 30_000 },
    );
    expect(chaos.kills).toBeGreaterThanOrEqual(minKills);
    await assertExactlyOnce(config.prefix, expected);
    // The kills really interrupted work: entries of dead consumers were taken over.
    expect(Number(await t.client.hget(keys.counters, COUNTER.reclaimed))).toBeGreaterThan(0);
    // The survivors shut down gracefully once they are up (a process killed before it installed its
    // handlers would just die).
    const live = chaos.workers;
    await Promise.all(live.map((c) => c.started));
    for (const c of live) c.proc.kill('SIGTERM');
    const exits = await Promise.all(live.map((c) => c.exited));
    expect(exits.map((e) => e.code)).toEqual(live.map(() => 0));
    await t.cleanup(config.prefix);
  }, 120_000);

  it('1000 frames while workers are paused past the claim time (SIGSTOP/SIGCONT): late completions write nothing', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // A paused worker keeps its frames past WORKER_CLAIM_IDLE_MS (800 ms): live workers reclaim and finish
    // them, and when it resumes it completes them late. Those completions must write nothing (their XACK
    // acknowledges nothing); a completion script that wrote the result anyway would double them.
    // 150 ms per frame keeps frames in flight in every worker at any moment, so a pause always catches some
    // (with fast frames a worker is usually idle in XREADGROUP when paused, and the watchdog drops that read).
    const env = {
      TEST_RECOGNIZER_DELAY_MS: '150',
      WORKER_CONCURRENCY: '8',
      WORKER_MAX_DELIVERIES: '50',
      WORKER_PROCESSING_TIMEOUT_MS: '600',
      WORKER_CLAIM_IDLE_MS: '1200',
    };
    const workers = ['slow-a', 'slow-b', 'slow-c'].map((name) => spawnWorker(cmd, config, name, env));
    children.push(...workers);
    await Promise.all(workers.map((c) => c.started));
    const staleBefore = Number((await t.client.hget(keys.counters, COUNTER.staleCompletions)) ?? 0);

    const paused = new Set<WorkerChild>();
    let pauses = 0;
    const pauser = setInterval(() => {
      if (paused.size > 0) return;
      const victim = workers[pauses % workers.length]!;
      victim.proc.kill('SIGSTOP');
      paused.add(victim);
      pauses++;
      // Paused for well over the claim time (1200 ms + 200 ms claim interval), then resumed.
      setTimeout(() => {
        victim.proc.kill('SIGCONT');
        paused.delete(victim);
      }, 2500);
    }, 2800);

    const expected = new Map<string, string>();
    const total = 1000;
    const stale = async () =>
      Number((await t.client.hget(keys.counters, COUNTER.staleCompletions)) ?? 0) > staleBefore;
    try {
      // At least `total` frames, and more (up to 3x) until late completions have really happened.
      for (let i = 0; i < total || (i < 3 * total && !(await stale())); i += 25) {
        const ids = await pushFrames(
          t.client,
          config.prefix,
          Array.from({ length: 25 }, (_, j) => frame({ plate: `S${i + j}` })),
        );
        ids.forEach((id, j) => {
          expected.set(id, `S${i + j}`);
        });
        await waitFor(async () => (await t.client.xlen(keys.results)) >= i - 200, { timeoutMs: 20_000 });
        await new Promise((r) => setTimeout(r, 100));
      }
      await waitFor(stale, { what: 'a late (stale) completion', timeoutMs: 30_000 });
    } finally {
      clearInterval(pauser);
    }
    await waitFor(() => paused.size === 0, { what: 'the last pause to end', timeoutMs: 10_000 });
    await waitFor(
      async () =>
        (await t.client.xlen(keys.results)) >= expected.size &&
        (await groupPending(t.client, config.prefix)) === 0,
      { what: 'all frames completed after the pauses', timeoutMs: 30_000 },
    );
    expect(pauses).toBeGreaterThanOrEqual(2);
    await assertExactlyOnce(config.prefix, expected);
    // Each result was written by the completion that acknowledged its frame: the paused workers'
    // completions that came late wrote nothing.
    expect(Number(await t.client.hget(keys.counters, COUNTER.staleCompletions))).toBeGreaterThan(staleBefore);
    expect(workers.map((w) => w.alive())).toEqual([true, true, true]);
    for (const c of workers) c.proc.kill('SIGTERM');
    expect((await Promise.all(workers.map((c) => c.exited))).map((e) => e.code)).toEqual([0, 0, 0]);
    await t.cleanup(config.prefix);
  }, 120_000);

  it('Redis killed and restarted mid-run (AOF): workers carry on without a restart, one result per frame', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // 10 ms a frame, 8 in flight: 1000 frames take over a second, so the kill lands mid-run on a fast host.
    const env = { TEST_RECOGNIZER_DELAY_MS: '10', WORKER_CONCURRENCY: '4' };
    const workers = [spawnWorker(cmd, config, 'restart-a', env), spawnWorker(cmd, config, 'restart-b', env)];
    children.push(...workers);
    await Promise.all(workers.map((c) => c.started));
    const expected = new Map<string, string>();
    const push = async (from: number, n: number) => {
      const ids = await pushFrames(
        t.client,
        config.prefix,
        Array.from({ length: n }, (_, j) => frame({ plate: `R${from + j}` })),
      );
      ids.forEach((id, j) => {
        expected.set(id, `R${from + j}`);
      });
    };
    await push(0, 1000);
    await waitFor(async () => (await t.client.xlen(keys.results)) >= 150, {
      what: 'workers busy',
      timeoutMs: 20_000,
    });
    await t.server!.kill();
    await t.server!.start();
    expect(await t.client.xlen(keys.results)).toBeLessThan(1000); // the restart really hit a run in progress
    await push(1000, 1000);
    await waitFor(
      async () =>
        (await t.client.xlen(keys.results)) >= 2000 && (await groupPending(t.client, config.prefix)) === 0,
      { what: 'all frames completed after the restart', timeoutMs: 30_000 },
    );
    await assertExactlyOnce(config.prefix, expected);
    expect(workers.map((w) => w.alive())).toEqual([true, true]);
    for (const c of workers) c.proc.kill('SIGTERM');
    expect((await Promise.all(workers.map((c) => c.exited))).map((e) => e.code)).toEqual([0, 0]);
    await t.cleanup(config.prefix);
  }, 60_000);
});
