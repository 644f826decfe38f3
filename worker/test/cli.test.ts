import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { main } from '../../cli/commands.ts';
import type { CliIO } from '../../shared/cli/index.ts';
import { run as dlqCli } from '../dlq-cli.ts';
import { closeServer, listen } from '../../shared/http/listener.ts';
import { createWorkerHttpServer } from '../http-server.ts';
import type { PipelineStats } from '../stats.ts';
import { run as statsCli } from '../stats-cli.ts';
import { TINY_JPEG, frame, pushFrames, readStream, testWorker } from './helpers.ts';

function captureIO(env: Record<string, string>): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

describe('operator commands and HTTP listener', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stats reports stream, group, consumers, results rate and DLQ; dlq list/show/requeue/purge', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const env = { REDIS_URL: config.url, LPR_PREFIX: config.prefix };
    const w = testWorker(config, { housekeepingIntervalMs: 60_000, lockTtlMs: 120_000 });
    await w.start();
    const [, poison] = await pushFrames(t.client, config.prefix, [
      frame({ plate: 'AB1' }),
      frame({ plate: 'CD2', fail: 'invalid' }, 'cam-7'),
      frame({}),
    ]);
    await waitFor(
      async () => (await t.client.xlen(keys.results)) === 2 && (await t.client.xlen(keys.dlq)) === 1,
    );

    const s = captureIO(env);
    expect(await statsCli(['--json'], s)).toBe(0);
    const stats = JSON.parse(s.out()) as PipelineStats;
    expect(stats.frames.length).toBe(3);
    expect(stats.frames.memoryBytes).toBeGreaterThan(0);
    expect(stats.groups).toEqual([
      expect.objectContaining({ name: 'workers', pending: 0, lag: 0, consumers: 1 }),
    ]);
    expect(stats.consumers).toEqual([
      expect.objectContaining({ name: w.options.consumer, pending: 0, alive: true }),
    ]);
    expect(stats.results).toMatchObject({ length: 2, lastMinute: 2, framesPerSecond: 0.03 });
    expect(stats.dlq.length).toBe(1);
    expect(stats.counters['dead-lettered']).toBe(1);
    const text = captureIO(env);
    expect(await statsCli([], text)).toBe(0);
    expect(text.out()).toMatch(/workers\s+lag\s+0\s+pending\s+0/);
    expect(text.out()).toContain('live workers (workers): 1');
    await w.close();

    const list = captureIO(env);
    expect(await dlqCli(['list'], list)).toBe(0);
    const dlqId = list.out().split(' ')[0]!;
    expect(list.out()).toContain(`frame ${poison}  camera cam-7  stage inference  deliveries 1`);
    const show = captureIO(env);
    expect(await dlqCli(['show', dlqId, '--json'], show)).toBe(0);
    expect(JSON.parse(show.out()).fields).toMatchObject({
      camera: 'cam-7',
      img: `<${TINY_JPEG.length} bytes>`,
    });

    const requeue = captureIO(env);
    expect(await dlqCli(['requeue', dlqId], requeue)).toBe(0);
    const newId = /-> frames (\S+)/.exec(requeue.out())![1]!;
    expect(await t.client.xlen(keys.dlq)).toBe(0);
    const frames = await readStream(t.client, keys.frames);
    const back = frames.find((f) => f.id === newId)!.fields;
    const original = frames.find((f) => f.id === poison)!.fields;
    expect(back).toEqual(original);
    const again = captureIO(env);
    expect(await dlqCli(['requeue', dlqId], again)).toBe(1);
    expect(again.err()).toMatch(/no such DLQ entry/);

    await t.client.xadd(keys.dlq, '*', 'error', 'x');
    await t.client.xadd(keys.dlq, '*', 'error', 'y');
    const purge = captureIO(env);
    expect(await dlqCli(['purge', '--all'], purge)).toBe(0);
    expect(purge.out()).toMatch(/purged 2 entries/);
    const usage = captureIO(env);
    expect(await main(['dlq', 'purge'], usage)).toBe(2);
    expect(usage.err()).toMatch(/platestream dlq: \[USAGE\] purge needs entry ids or --all/);
    await t.cleanup(config.prefix);
  });

  it('serves /metrics, /healthz and /readyz', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const w = testWorker(config);
    const server = createWorkerHttpServer(w);
    const port = await listen(server, 0, '127.0.0.1');
    const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`);
    expect((await get('/readyz')).status).toBe(503);
    await w.start();
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    await pushFrames(t.client, config.prefix, [frame({ plate: 'M1' })]);
    await waitFor(async () => (await t.client.xlen(keys.results)) === 1);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/platestream_worker_frames_processed_total\{outcome="plate"\} 1/);
    expect(metrics).toMatch(/platestream_worker_stage_seconds_count\{stage="inference"\} 1/);
    expect(metrics).toMatch(/platestream_worker_end_to_end_seconds_count 1/);
    expect(metrics).toMatch(/platestream_group_pending 0/);
    expect(metrics).toMatch(/platestream_group_lag 0/);
    expect(metrics).toMatch(/platestream_group_consumers 1/);
    expect(metrics).toMatch(/platestream_worker_model_info\{model="[^"]+",consumer="[^"]+"\} 1/);
    const closing = w.close();
    expect((await get('/readyz')).status).toBe(503);
    await closing;
    await closeServer(server);
    await t.cleanup(config.prefix);
  });
});
