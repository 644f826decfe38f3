import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killChildren,
  spawnPlatestream,
  type Child,
  type TestRedis,
  useRedis,
} from '../../test/harness/index.ts';

/**
 * A worker with the real ONNX recogniser leaves nothing in /tmp: onnxruntime-node's telemetry (1.29+, Linux
 * and macOS) used to leave an empty /tmp/mat-debug-<pid>.log behind every worker process.
 */
describe('worker with the ONNX recogniser (real process)', () => {
  let t: TestRedis;
  const children: Child[] = [];
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await killChildren(children);
    await t.close();
  });

  it('leaves no /tmp/mat-debug-<pid>.log behind', async () => {
    const config = t.config();
    const worker = spawnPlatestream(['worker'], {
      env: {
        REDIS_URL: config.url,
        LPR_PREFIX: config.prefix,
        LPR_RECOGNIZER: 'onnx',
        LPR_READER: 'ppocr',
        LPR_THREADS: '1',
        WORKER_HTTP_PORT: '0',
        ORT_DISABLE_TELEMETRY: undefined,
        LOG_LEVEL: 'info',
      },
    });
    children.push(worker);
    await worker.logged('"msg":"worker started"');
    const log = `/tmp/mat-debug-${worker.proc.pid}.log`;
    expect(existsSync(log), `${log} exists`).toBe(false);
    worker.proc.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(existsSync(log), `${log} exists`).toBe(false);
    await t.cleanup(config.prefix);
  }, 90_000);
});
