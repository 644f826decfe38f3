import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../shared/util/wait.ts';
import { ROOT, type TestRedis, useRedis } from '../../test/harness/index.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to `npx platestream worker` (npm, a shell, then node) must reach the worker. */
describe('npx platestream worker', () => {
  let t: TestRedis;
  let npx: ChildProcess | undefined;
  let workerPid = 0;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    if (npx && npx.exitCode === null) npx.kill('SIGKILL');
    if (workerPid && alive(workerPid)) process.kill(workerPid, 'SIGKILL');
    await t.close();
  });

  it('SIGTERM to npm shuts the worker down gracefully instead of leaving it orphaned', async () => {
    const config = t.config();
    let out = '';
    npx = spawn('npx', ['--no-install', 'platestream', 'worker'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REDIS_URL: config.url,
        LPR_PREFIX: config.prefix,
        LPR_RECOGNIZER: 'noop',
        WORKER_HTTP_PORT: '0',
        WORKER_CONSUMER: 'npx-worker',
        LOG_LEVEL: 'info',
      },
    });
    npx.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    npx.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const started = await waitFor(() => /"pid":(\d+)[^\n]*"msg":"worker started"/.exec(out), {
      timeoutMs: 90_000,
      what: `worker started under npx:\n${out}`,
    });
    workerPid = Number(started[1]);
    expect(workerPid).not.toBe(npx.pid);
    npx.kill('SIGTERM');
    await waitFor(() => !alive(workerPid), { timeoutMs: 30_000, what: `worker ${workerPid} to exit` });
    expect(out).toMatch(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
    expect(out).toContain('"msg":"worker stopped"');
  }, 150_000);
});
