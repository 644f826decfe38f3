import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/platestream.js', import.meta.url));

/** A worker process of a bench; `started` resolves when it logged "worker started". */
export interface BenchWorker {
  proc: ChildProcess;
  started: Promise<void>;
}

/**
 * Starts `platestream worker` with the no-op recogniser (the bench measures the pipeline, not recognition)
 * on `url` / `prefix` (and `partitions` when given); `started` rejects with its last log lines when it
 * exits first.
 */
export function spawnBenchWorker(
  target: { url: string; prefix: string; partitions?: number },
  i: number,
  concurrency: number,
): BenchWorker {
  const proc = spawn(process.execPath, [BIN, 'worker'], {
    env: {
      ...process.env,
      REDIS_URL: target.url,
      LPR_PREFIX: target.prefix,
      ...(target.partitions === undefined ? {} : { LPR_PARTITIONS: String(target.partitions) }),
      LPR_RECOGNIZER: 'noop',
      WORKER_CONSUMER: `bench-${i}`,
      WORKER_CONCURRENCY: String(concurrency),
      WORKER_HTTP_PORT: '0',
      WORKER_HOUSEKEEPING_INTERVAL_MS: '1000',
      WORKER_LOCK_TTL_MS: '5000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  const started = new Promise<void>((resolve, reject) => {
    proc.stderr?.on('data', (b: Buffer) => {
      out = (out + b.toString()).slice(-4000);
      if (out.includes('"msg":"worker started"')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`worker ${i} exited with ${code}: ${out}`)));
  });
  started.catch(() => {});
  return { proc, started };
}
