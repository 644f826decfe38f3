import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys, COUNTER, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { encodeFrame } from '../../shared/codec/frame-codec.ts';
import { checkWorkerOptions } from '../config.ts';
import { TestRecognizer } from './test-recognizer.ts';
import type { FrameOutcome } from '../worker.ts';
import {
  frame,
  groupPending,
  pushFrames,
  readStream,
  resultCounts,
  testOptions,
  testWorker,
} from './helpers.ts';

describe('worker', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes exactly one result per frame, including frames with no plate, with timings', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // Frames queued before the group exists are processed too (group starts at 0).
    const ids = await pushFrames(t.client, config.prefix, [
      frame({ plate: 'AB123CD' }),
      frame({}),
      ...Array.from({ length: 48 }, (_, i) => frame({ plate: `P${i}` })),
    ]);
    const w = testWorker(config, { concurrency: 8 });
    await w.start();
    await waitFor(async () => (await t.client.xlen(keys.results)) === ids.length, { what: 'all results' });
    await w.close();
    const rows = await readStream(t.client, keys.results);
    const counts = resultCounts(rows);
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const first = rows.find((r) => r.fields.frame === ids[0])!.fields;
    expect(first).toMatchObject({ camera: 'cam-1', plate: 'AB123CD', confidence: '0.9000', model: 'test' });
    expect(JSON.parse(first.plates!)).toEqual([
      { text: 'AB123CD', confidence: 0.9, box: { x: 1, y: 2, w: 30, h: 10 } },
    ]);
    const timings = JSON.parse(first.timings!);
    for (const k of ['queueMs', 'decodeMs', 'inferMs', 'totalMs']) expect(typeof timings[k]).toBe('number');
    const empty = rows.find((r) => r.fields.frame === ids[1])!.fields;
    expect(empty).toMatchObject({ plate: '', confidence: '0.0000', plates: '[]' });
    expect(empty.box).toBeUndefined();
    expect(JSON.parse(first.box!)).toEqual({ x: 1, y: 2, w: 30, h: 10 });
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    await t.cleanup(config.prefix);
  });

  it('dead-letters corrupt entries and invalid images at once, with reasons', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const w = testWorker(config);
    await w.start();
    const noCamera = await t.client.xadd(keys.frames, '*', 'ts', '1', 'mime', 'image/jpeg', 'img', 'x');
    const badTs = await t.client.xadd(
      keys.frames,
      '*',
      'camera',
      'c1',
      'ts',
      'yesterday',
      'mime',
      'image/jpeg',
      'img',
      'x',
    );
    const [invalid] = await pushFrames(t.client, config.prefix, [frame({ fail: 'invalid' })]);
    await waitFor(async () => (await t.client.xlen(keys.dlq)) === 3, { what: '3 DLQ entries' });
    await w.close();
    const dlq = await readStream(t.client, keys.dlq);
    const byFrame = new Map(dlq.map((r) => [r.fields.frame, r.fields]));
    expect(byFrame.get(noCamera!)).toMatchObject({ stage: 'decode', deliveries: '1', ts: '1' });
    expect(byFrame.get(noCamera!)!.error).toMatch(/field "camera" is missing/);
    expect(byFrame.get(badTs!)!.error).toMatch(/field "ts" "yesterday" is not a ms epoch integer/);
    expect(byFrame.get(invalid!)).toMatchObject({ stage: 'inference', camera: 'cam-1', img: '<14 bytes>' });
    expect(byFrame.get(invalid!)!.error).toMatch(/invalid/);
    expect(await t.client.xlen(keys.results)).toBe(0);
    expect(await t.client.hget(keys.counters, COUNTER.deadLettered)).toBe('3');
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    await t.cleanup(config.prefix);
  });

  it('retries transient failures and dead-letters them after maxDeliveries', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const w = testWorker(config, { maxDeliveries: 3, claimIdleMs: 200, processingTimeoutMs: 100 });
    const outcomes: FrameOutcome[] = [];
    w.on('frame', (o: FrameOutcome) => outcomes.push(o));
    await w.start();
    const [id] = await pushFrames(t.client, config.prefix, [frame({ fail: 'transient' })]);
    await waitFor(async () => (await t.client.xlen(keys.dlq)) === 1, { what: 'DLQ entry' });
    await w.close();
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry', 'dead-lettered']);
    const [entry] = await readStream(t.client, keys.dlq);
    expect(entry!.fields).toMatchObject({ frame: id, stage: 'inference', deliveries: '3' });
    expect(entry!.fields.error).toMatch(/told to fail/);
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    await t.cleanup(config.prefix);
  });

  it('a slow worker whose frame was reclaimed and finished elsewhere writes no second result', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let slowStarted = false;
    const slow = testWorker(
      config,
      {
        processingTimeoutMs: 20_000,
        claimIdleMs: 60_000,
        claimIntervalMs: 60_000,
        shutdownTimeoutMs: 30_000,
      },
      {
        hold: async () => {
          slowStarted = true;
          await gate;
        },
      },
    );
    await slow.start();
    const [id] = await pushFrames(t.client, config.prefix, [frame({ plate: 'SLOW1' })]);
    await waitFor(() => slowStarted, { what: 'slow worker to take the frame' });

    const fast = testWorker(config, { claimIdleMs: 300, processingTimeoutMs: 100, claimIntervalMs: 50 });
    await fast.start();
    await waitFor(async () => (await t.client.xlen(keys.results)) === 1, { what: 'reclaimed result' });
    const stale = new Promise<FrameOutcome>((r) => slow.once('frame', r));
    release();
    expect(await stale).toEqual({ kind: 'stale', id });
    await Promise.all([slow.close(), fast.close()]);
    const rows = await readStream(t.client, keys.results);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.fields).toMatchObject({ frame: id, worker: fast.options.consumer });
    expect(await t.client.hget(keys.counters, COUNTER.staleCompletions)).toBe('1');
    expect((await slow.metrics.staleCompletions.get()).values[0]!.value).toBe(1);
    await t.cleanup(config.prefix);
  });

  it('close() completes frames in flight and is idempotent', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    let inRecognizer = 0;
    const w = testWorker(config, { concurrency: 4 }, { delayMs: 150, hold: async () => void inRecognizer++ });
    await w.start();
    await pushFrames(
      t.client,
      config.prefix,
      Array.from({ length: 4 }, () => frame({ plate: 'X1' })),
    );
    await waitFor(() => w.inFlightCount === 4, { what: '4 frames in flight' });
    const a = w.close();
    const b = w.close();
    expect(a).toBe(b);
    await a;
    expect(await t.client.xlen(keys.results)).toBe(4);
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    expect(inRecognizer).toBe(4);
    await t.cleanup(config.prefix);
  });

  it('counts pending entries that were deleted from the stream without crashing', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    // Another consumer takes two frames and dies; one of them is deleted (e.g. by drop-oldest) meanwhile.
    const [a, b] = await pushFrames(t.client, config.prefix, [
      frame({ plate: 'A1' }),
      frame({ plate: 'B1' }),
    ]);
    await t.client.xgroup('CREATE', keys.frames, WORKER_GROUP, '0');
    await t.client.xreadgroup('GROUP', WORKER_GROUP, 'dead', 'COUNT', 10, 'STREAMS', keys.frames, '>');
    await t.client.xdel(keys.frames, a!);
    const w = testWorker(config, { claimIntervalMs: 60_000, claimIdleMs: 200, processingTimeoutMs: 100 });
    await w.start();
    await waitFor(async () => (await w.reclaimOnce()) === 0 && (await t.client.xlen(keys.results)) === 1, {
      what: 'reclaim to drain',
    });
    await w.close();
    expect((await w.metrics.reclaimDeleted.get()).values[0]!.value).toBe(1);
    const rows = await readStream(t.client, keys.results);
    expect(rows.map((r) => r.fields.frame)).toEqual([b]);
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    await t.cleanup(config.prefix);
  });

  it('close() during start-up (recogniser still warming up) leaves nothing running', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const rec = new TestRecognizer();
    let release: (() => void) | undefined;
    rec.warmup = () =>
      new Promise<void>((r) => {
        release = r;
      });
    const w = testWorker(config, {}, rec);
    const starting = w.start();
    await waitFor(() => release !== undefined, { what: 'warm-up to begin' });
    const closing = w.close();
    release!();
    await Promise.all([starting, closing]);
    expect(w.ready).toBe(false);
    const [id] = await pushFrames(t.client, config.prefix, [frame({ plate: 'Z1' })]);
    // A live worker in the same group gets the frame and finishes it: had the closed worker's loops been
    // running they would have raced for it. Then nothing is pending and nothing carries the closed name.
    const other = testWorker(config);
    await other.start();
    await waitFor(async () => (await t.client.xlen(keys.results)) === 1, {
      what: 'the live worker to finish',
    });
    await other.close();
    const [row] = await readStream(t.client, keys.results);
    expect(row!.fields).toMatchObject({ frame: id, plate: 'Z1', worker: other.options.consumer });
    expect(rec.calls).toBe(0);
    expect(await groupPending(t.client, config.prefix)).toBe(0);
    const consumers = (await t.client.xinfo('CONSUMERS', keys.frames, 'workers')) as unknown[][];
    expect(consumers.map((c) => c[1])).not.toContain(w.options.consumer);
    await t.cleanup(config.prefix);
  });

  it('rejects a claim idle time not comfortably above the processing timeout', () => {
    const problems = checkWorkerOptions(testOptions({ processingTimeoutMs: 1000, claimIdleMs: 1500 }));
    expect(problems.map((p) => p.name)).toContain('WORKER_CLAIM_IDLE_MS');
    expect(problems[0]!.message).toMatch(/at least 2000 ms/);
  });

  it('keeps unknown stream fields out of results and survives a deleted stream (NOGROUP)', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const w = testWorker(config);
    await w.start();
    // A producer that adds fields of its own (here one that looks like a result field, one that does not):
    // the result carries the contract's fields only.
    const odd = await t.client.xadd(
      keys.frames,
      '*',
      ...encodeFrame(frame({ plate: 'UF1' })),
      'x-debug',
      'leak-me',
      'watchlist',
      'hit',
    );
    await waitFor(async () => (await t.client.xlen(keys.results)) === 1, { what: 'result of the odd frame' });
    const [first] = await readStream(t.client, keys.results);
    expect(first!.fields.frame).toBe(odd);
    expect(first!.fields.plate).toBe('UF1');
    expect(Object.keys(first!.fields)).not.toContain('x-debug');
    expect(first!.fields.watchlist).toBeUndefined();
    expect(Object.values(first!.fields)).not.toContain('leak-me');

    await t.client.del(keys.frames);
    await waitFor(async () => (await t.client.exists(keys.frames)) === 1, { what: 'group recreated' });
    await t.client.xadd(keys.frames, '*', ...encodeFrame(frame({ plate: 'NG1' })));
    await waitFor(async () => (await t.client.xlen(keys.results)) === 2, { what: 'result after NOGROUP' });
    await w.close();
    await t.cleanup(config.prefix);
  });
});
