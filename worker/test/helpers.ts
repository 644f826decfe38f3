import { silentLogger } from '../../test/harness/index.ts';
import type { RedisClient } from '../../shared/redis/connection.ts';
import { encodeFrame, type Frame } from '../../shared/codec/frame-codec.ts';
import type { RedisConfig } from '../../shared/config/redis-config.ts';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { fieldMap } from '../../shared/codec/frame-codec.ts';
import { WORKER_DEFAULTS, type WorkerOptions } from '../config.ts';
import { TestRecognizer, type TestRecognizerOptions } from './test-recognizer.ts';
import { Worker } from '../worker.ts';

/** A tiny "JPEG" (magic bytes only); the test recogniser never decodes it. */
export const TINY_JPEG = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9,
]);

/** Fast-cycling options for tests (valid under checkWorkerOptions). */
export function testOptions(overrides: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    ...WORKER_DEFAULTS,
    recognizer: 'noop',
    consumer: `c-${Math.random().toString(36).slice(2, 8)}`,
    blockMs: 100,
    watchdogMarginMs: 500,
    processingTimeoutMs: 500,
    claimIdleMs: 1000,
    claimIntervalMs: 100,
    housekeepingIntervalMs: 100,
    lockTtlMs: 1000,
    httpPort: 0,
    shutdownTimeoutMs: 5000,
    ...overrides,
  };
}

export function testWorker(
  redis: RedisConfig,
  overrides: Partial<WorkerOptions> = {},
  rec: TestRecognizerOptions | TestRecognizer = {},
): Worker {
  const recognizer = rec instanceof TestRecognizer ? rec : new TestRecognizer(rec);
  return new Worker({ redis, options: testOptions(overrides), recognizer, logger: silentLogger });
}

export function frame(meta: Record<string, unknown> = {}, camera = 'cam-1'): Frame {
  return { camera, ts: Date.now(), mime: 'image/jpeg', img: TINY_JPEG, meta };
}

/** XADDs frames in pipelined batches; returns their ids in order. */
export async function pushFrames(client: RedisClient, prefix: string, frames: Frame[]): Promise<string[]> {
  const keys = new StreamKeys(prefix);
  const ids: string[] = [];
  for (let i = 0; i < frames.length; i += 200) {
    const pipe = client.pipeline();
    for (const f of frames.slice(i, i + 200)) pipe.xadd(keys.frames, '*', ...encodeFrame(f));
    const res = await pipe.exec();
    for (const [err, id] of res ?? []) {
      if (err) throw err;
      ids.push(String(id));
    }
  }
  return ids;
}

export interface ResultRow {
  id: string;
  fields: Record<string, string>;
}

export async function readStream(client: RedisClient, key: string): Promise<ResultRow[]> {
  const out: ResultRow[] = [];
  let start = '-';
  for (;;) {
    const rows = (await client.xrangeBuffer(key, start, '+', 'COUNT', 2000)) as unknown as [
      Buffer,
      Buffer[],
    ][];
    for (const [id, fields] of rows) {
      const m = fieldMap(fields);
      const rec: Record<string, string> = {};
      for (const [k, v] of m) rec[k] = k === 'img' ? `<${v.length} bytes>` : v.toString('utf8');
      out.push({ id: id.toString(), fields: rec });
    }
    if (rows.length < 2000) return out;
    start = `(${rows[rows.length - 1]![0].toString()}`;
  }
}

export async function groupPending(client: RedisClient, prefix: string): Promise<number> {
  const keys = new StreamKeys(prefix);
  const summary = (await client.xpending(keys.frames, WORKER_GROUP)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** Counts results per frame id. */
export function resultCounts(rows: ResultRow[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.fields.frame!, (m.get(r.fields.frame!) ?? 0) + 1);
  return m;
}
