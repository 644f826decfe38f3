import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { closeRedis, createRedis } from '../../shared/redis/connection.ts';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { ensureGroup } from '../../shared/redis/stream/index.ts';
import { completeFrame } from '../completion.ts';
import { readWorkerConfig } from '../config.ts';
import { TestRecognizer } from './test-recognizer.ts';
import { Worker } from '../worker.ts';
import { frame, pushFrames, readStream, testOptions } from './helpers.ts';

describe('completion script, alerts, watchdog and config', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes an optional alert in the same script, once per camera and plate per window', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const w = new Worker({
      redis: config,
      options: testOptions(),
      recognizer: new TestRecognizer(),
      logger: silentLogger,
      enrichHook: async (f, r) =>
        r.plate === 'WL1'
          ? {
              alert: {
                camera: f.camera,
                plate: r.plate,
                windowMs: 60_000,
                maxLen: 1000,
                fields: { plate: r.plate, camera: f.camera, frame: f.id },
              },
            }
          : undefined,
    });
    await w.start();
    const ids = await pushFrames(t.client, config.prefix, [
      frame({ plate: 'WL1' }),
      frame({ plate: 'WL1' }),
      frame({ plate: 'WL1' }, 'cam-2'),
      frame({ plate: 'OK1' }),
    ]);
    await waitFor(async () => (await t.client.xlen(keys.results)) === 4);
    await w.close();
    const alerts = await readStream(t.client, keys.alerts);
    expect(alerts.map((a) => [a.fields.camera, a.fields.frame])).toEqual([
      ['cam-1', ids[0]],
      ['cam-2', ids[2]],
    ]);
    expect(await t.client.pttl(keys.alertWindow('cam-1', 'WL1'))).toBeGreaterThan(50_000);
    const m = await w.metrics.alerts.get();
    expect(Object.fromEntries(m.values.map((v) => [v.labels.outcome, v.value]))).toEqual({
      sent: 2,
      suppressed: 1,
    });
    await t.cleanup(config.prefix);
  });

  it('a stale completion writes neither result nor alert', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const redis = createRedis(config, 'consumer');
    await ensureGroup(redis, keys.frames, WORKER_GROUP);
    const [id] = await pushFrames(t.client, config.prefix, [frame()]);
    await t.client.xreadgroup('GROUP', WORKER_GROUP, 'a', 'STREAMS', keys.frames, '>');
    const alert = { camera: 'cam-1', plate: 'X', windowMs: 1000, maxLen: 1000, fields: { plate: 'X' } };
    const retention = { strategy: 'MAXLEN' as const, threshold: '1000' };
    const complete = () =>
      completeFrame(redis, {
        keys,
        group: WORKER_GROUP,
        frameId: id!,
        result: ['frame', id!, 'plate', 'X'],
        retention,
        alert,
      });
    const first = await complete();
    expect(first).toMatchObject({ acked: true, alert: 'sent' });
    await t.client.del(keys.alertWindow('cam-1', 'X'));
    const second = await complete();
    expect(second).toEqual({ acked: false, resultId: '', alert: 'none', alertId: '' });
    expect(await t.client.xlen(keys.results)).toBe(1);
    expect(await t.client.xlen(keys.alerts)).toBe(1);
    expect(await t.client.exists(keys.alertWindow('cam-1', 'X'))).toBe(0);
    await closeRedis(redis);
    await t.cleanup(config.prefix);
  });

  it('the read watchdog replaces a connection whose blocking read hangs, then reading resumes', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const w = new Worker({
      redis: config,
      options: testOptions({ blockMs: 100, watchdogMarginMs: 200 }),
      recognizer: new TestRecognizer(),
      logger: silentLogger,
    });
    await w.start();
    // XREADGROUP is a write command: while writes are paused the blocking read cannot finish.
    await t.client.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    await waitFor(async () => (await w.metrics.watchdogResets.get()).values[0]!.value >= 1, {
      what: 'watchdog to fire',
    });
    await t.client.call('CLIENT', 'UNPAUSE');
    await pushFrames(t.client, config.prefix, [frame({ plate: 'W1' })]);
    await waitFor(async () => (await t.client.xlen(keys.results)) === 1, {
      what: 'result after the watchdog',
    });
    await w.close();
    await t.cleanup(config.prefix);
  });

  it('reads configuration from the environment and reports every problem at once', () => {
    const ok = readWorkerConfig(new EnvReader({ WORKER_CONSUMER: 'w1', WORKER_CONCURRENCY: '3' }));
    expect(ok.worker).toMatchObject({ consumer: 'w1', concurrency: 3, recognizer: 'onnx' });
    expect(Object.isFrozen(ok.worker)).toBe(true);
    let err: unknown;
    try {
      readWorkerConfig(
        new EnvReader({
          WORKER_CONCURRENCY: '0',
          WORKER_PROCESSING_TIMEOUT_MS: '20000',
          WORKER_CLAIM_IDLE_MS: '30000',
          RESULTS_RETENTION: 'forever',
          WORKER_BLOCK_MS: '30000',
          WORKER_SHUTDOWN_TIMEOUT_MS: '25000',
        }),
      );
    } catch (e) {
      err = e;
    }
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toMatch(/WORKER_CONCURRENCY/);
    expect(msg).toMatch(/RESULTS_RETENTION/);
    expect(msg).toMatch(/WORKER_CLAIM_IDLE_MS: 30000 ms is not comfortably above/);
    expect(msg).toMatch(/WORKER_SHUTDOWN_TIMEOUT_MS: 25000 ms must be at least WORKER_BLOCK_MS/);
  });

  it('sizes frames in flight and recogniser threads together', () => {
    const cfg = (env: Record<string, string>) => readWorkerConfig(new EnvReader(env));
    const three = cfg({ LPR_RECOGNIZER_THREADS: '3' });
    expect(three.worker.concurrency).toBe(6);
    expect(three.recognizer).toMatchObject({ recognizerThreads: 3, threads: 1 });
    const cores = availableParallelism();
    const byDefault = cfg({});
    expect(byDefault.recognizer?.recognizerThreads).toBe(Math.min(8, cores));
    expect(byDefault.worker.concurrency).toBe(Math.max(4, 2 * Math.min(8, cores)));
    // One frame in flight, set explicitly: one recogniser on the event loop with intra-op threads, as before.
    expect(cfg({ WORKER_CONCURRENCY: '1' }).recognizer).toMatchObject({
      recognizerThreads: 1,
      threads: Math.min(4, cores),
    });
    expect(cfg({ LPR_RECOGNIZER: 'noop' }).worker.concurrency).toBe(4);
    expect(() => cfg({ LPR_RECOGNIZER_THREADS: '4', WORKER_CONCURRENCY: '2' })).toThrow(
      /WORKER_CONCURRENCY: 2 frames in flight cannot keep LPR_RECOGNIZER_THREADS=4/,
    );
  });
});
