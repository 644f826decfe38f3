import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderScene } from '../../models/synthetic/index.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  type Child,
  killChildren,
  spawnPlatestream,
  type TestRedis,
  useRedis,
} from '../../test/harness/index.ts';
import { frame, pushFrames, readStream } from './helpers.ts';

/**
 * Issue #12 §3: one `platestream worker` process with recogniser threads (LPR_RECOGNIZER_THREADS=2, the
 * default on 2 cores) writes exactly one result per frame, and still dead-letters undecodable bytes at once
 * (IMAGE_INVALID crosses the thread boundary).
 */
describe('worker with a pool of recogniser threads (real process)', () => {
  let t: TestRedis;
  const children: Child[] = [];
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await killChildren(children);
    await t.close();
  });

  it('writes one result per frame and dead-letters an undecodable one', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const worker = spawnPlatestream(['worker'], {
      env: {
        REDIS_URL: config.url,
        LPR_PREFIX: config.prefix,
        LPR_RECOGNIZER: 'onnx',
        LPR_READER: 'ppocr',
        LPR_RECOGNIZER_THREADS: '2',
        LPR_THREADS: undefined,
        WORKER_CONCURRENCY: undefined,
        WORKER_HTTP_PORT: '0',
        LOG_LEVEL: 'info',
      },
    });
    children.push(worker);
    await worker.logged('"threads":2,"msg":"recogniser threads ready"');
    await worker.logged('"msg":"worker started"');
    const scenes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => renderScene({ seed: `wpool-${i}` })),
    );
    const ids = await pushFrames(t.client, config.prefix, [
      ...scenes.map((s) => ({ ...frame({}, 'cam-pool'), img: s.image })),
      frame({}, 'cam-pool'), // TINY_JPEG: magic bytes only, cannot be decoded
    ]);
    const bad = ids.at(-1)!;
    await waitFor(
      async () =>
        (await t.client.xlen(keys.results)) >= scenes.length && (await t.client.xlen(keys.dlq)) >= 1,
      { what: 'a result per frame and the undecodable frame in the DLQ', timeoutMs: 60_000 },
    );
    const results = await readStream(t.client, keys.results);
    expect(results.map((r) => r.fields.frame).sort()).toEqual(ids.slice(0, -1).sort());
    const read = results.filter((r) => r.fields.plate === scenes[ids.indexOf(r.fields.frame!)]!.text);
    expect(read.length).toBeGreaterThanOrEqual(6);
    const [dead] = await readStream(t.client, keys.dlq);
    // Dead-lettered on its first delivery, as the in-process recogniser's IMAGE_INVALID is.
    expect(dead!.fields).toMatchObject({ frame: bad, stage: 'inference', deliveries: '1' });
    expect(dead!.fields.error).toMatch(/^frame \S+: the image cannot be decoded/);
    worker.proc.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    await t.cleanup(config.prefix);
  }, 120_000);
});
