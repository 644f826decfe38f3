import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import type { PlateBox, RecognitionInput, RecognitionResult, Recognizer } from '../../shared/recognizer.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { readWorkerConfig } from '../config.ts';
import { startWorker } from '../service.ts';
import { pushFrames, readStream } from './helpers.ts';
import { follow, predictRegion, TRACK_DEFAULTS, TrackGate, type TrackOptions } from '../track-gate.ts';

/** A recogniser that answers from a script and records what it was asked (the region included). */
class ScriptedRecognizer implements Recognizer {
  readonly id = 'scripted';
  readonly asked: { frame: string; region?: PlateBox }[] = [];
  constructor(
    private readonly answer: (input: RecognitionInput) => {
      plate: string;
      confidence: number;
      box?: PlateBox;
    },
  ) {}
  async warmup(): Promise<void> {}
  async close(): Promise<void> {}
  async recognize(input: RecognitionInput): Promise<RecognitionResult> {
    this.asked.push({ frame: input.id, region: input.region });
    const a = this.answer(input);
    return { ...a, candidates: [], model: this.id, timings: {} };
  }
}

const box = (x: number, y: number): PlateBox => ({ x, y, w: 100, h: 25 });
const inside = (b: PlateBox, r: PlateBox) =>
  b.x >= r.x && b.y >= r.y && b.x + b.w <= r.x + r.w && b.y + b.h <= r.y + r.h;

describe('reading a tracked plate from its predicted region (LPR_TRACK_REGION)', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  const frame = (id: string, ts: number, camera = 'cam-t'): RecognitionInput => ({
    id,
    camera,
    ts,
    mime: 'image/jpeg',
    img: Buffer.alloc(0),
  });
  function gate(inner: Recognizer, over: Partial<TrackOptions> = {}) {
    const prefix = `tr-${Math.random().toString(36).slice(2, 8)}`;
    const keys = new StreamKeys(prefix);
    const g = new TrackGate(inner, {
      redis: t.client,
      keys,
      options: { ...TRACK_DEFAULTS, trackRegion: true, ...over },
      logger: silentLogger,
    });
    return { g, keys };
  }

  it('reads the next frames of a confident plate in the region it moved to, every 4th in full', async () => {
    // The plate moves 20 px right per 100 ms.
    const inner = new ScriptedRecognizer((i) => ({
      plate: 'AB123CD',
      confidence: 0.97,
      box: box(100 + i.ts / 5, 300),
    }));
    const { g, keys } = gate(inner);
    const results: RecognitionResult[] = [];
    for (let k = 0; k < 6; k++) results.push(await g.recognize(frame(`${k}-0`, k * 100)));
    // Frame 0 in full (no track), 1-3 from the region, 4 in full (trackFullEvery 4), 5 from the region.
    expect(inner.asked.map((a) => (a.region ? 'region' : 'full'))).toEqual([
      'full',
      'region',
      'region',
      'region',
      'full',
      'region',
    ]);
    expect(results.map((r) => r.timings.region ?? 0)).toEqual([0, 1, 1, 1, 0, 1]);
    // Each region holds where the plate really was (prediction with the learnt velocity).
    for (const a of inner.asked.filter((x) => x.region)) {
      const ts = Number(a.frame.split('-')[0]) * 100;
      expect(inside(box(100 + ts / 5, 300), a.region!)).toBe(true);
    }
    // The track holds a box and motion, never the plate's text (plates are personal data).
    const stored = (await t.client.get(keys.plateTrack('cam-t')))!;
    expect(stored).not.toContain('AB123CD');
    expect(JSON.parse(stored)).toMatchObject({ v: 1, ts: 500 });
    expect(await t.client.pttl(keys.plateTrack('cam-t'))).toBeGreaterThan(0);
  });

  it('reads in full when the region read is not confident, and forgets the track when a full read finds no plate', async () => {
    let regionConf = 0.5;
    let plate = 'AB123CD';
    const inner = new ScriptedRecognizer((i) =>
      plate === ''
        ? { plate: '', confidence: 0 }
        : { plate, confidence: i.region ? regionConf : 0.95, box: box(400, 300) },
    );
    const { g, keys } = gate(inner);
    await g.recognize(frame('0-0', 0));
    const missed = await g.recognize(frame('1-0', 100));
    expect(inner.asked.slice(1).map((a) => Boolean(a.region))).toEqual([true, false]);
    expect(missed).toMatchObject({ plate: 'AB123CD', confidence: 0.95 });
    expect(missed.timings.regionMissed).toBe(1);
    regionConf = 0.99;
    expect((await g.recognize(frame('2-0', 200))).timings.region).toBe(1);
    // The vehicle has gone: the region read finds nothing, the full read neither → no track any more.
    plate = '';
    await g.recognize(frame('3-0', 300));
    expect(await t.client.exists(keys.plateTrack('cam-t'))).toBe(0);
    await g.recognize(frame('4-0', 400));
    expect(inner.asked.at(-1)!.region).toBeUndefined();
  });

  it('uses no track older than LPR_TRACK_MAX_GAP_MS, none of another camera, and none below the confidence', async () => {
    const inner = new ScriptedRecognizer((i) => ({
      plate: 'AB123CD',
      confidence: i.camera === 'weak' ? 0.6 : 0.95,
      box: box(400, 300),
    }));
    const { g } = gate(inner, { trackMaxGapMs: 500 });
    await g.recognize(frame('0-0', 0));
    await g.recognize(frame('1-0', 2000)); // past the gap: full
    await g.recognize(frame('2-0', 2100, 'cam-other')); // another camera: its own (no) track
    await g.recognize(frame('3-0', 2200, 'weak'));
    await g.recognize(frame('4-0', 2300, 'weak')); // the weak camera's reads never start a track
    expect(inner.asked.map((a) => Boolean(a.region))).toEqual([false, false, false, false, false]);
  });

  it('learns velocity only from the same plate, and keeps the newer track when an older frame finishes late', () => {
    const t0 = follow(undefined, box(100, 300), 0, 0);
    const t1 = follow(t0, box(120, 300), 100, 1);
    expect(t1.vx).toBeCloseTo(0.1, 5); // half of 0.2 px/ms, smoothed with the previous 0
    const jump = follow(t1, box(1500, 300), 200, 2);
    expect(jump).toMatchObject({ vx: 0, vy: 0 }); // far from the prediction: another plate
    const late = follow(t1, box(110, 300), 50, 2);
    expect(late).toMatchObject({ ts: 100, box: t1.box, vx: t1.vx });
    const r = predictRegion(t1, 100);
    expect(inside(box(130, 300), r)).toBe(true);
    expect(r.x).toBeGreaterThanOrEqual(0);
  });

  it('is configured by LPR_TRACK_* (off by default) and reports bad values with the others', () => {
    expect(readWorkerConfig(new EnvReader({}), {}).worker).toMatchObject(TRACK_DEFAULTS);
    expect(TRACK_DEFAULTS.trackRegion).toBe(false);
    const on = readWorkerConfig(new EnvReader({ LPR_TRACK_REGION: 'true', LPR_TRACK_FULL_EVERY: '6' }), {});
    expect(on.worker).toMatchObject({ trackRegion: true, trackFullEvery: 6 });
    expect(() =>
      readWorkerConfig(new EnvReader({ LPR_TRACK_MIN_CONFIDENCE: '2', LPR_TRACK_FULL_EVERY: '1' }), {}),
    ).toThrow(
      /LPR_TRACK_MIN_CONFIDENCE[\s\S]*LPR_TRACK_FULL_EVERY|LPR_TRACK_FULL_EVERY[\s\S]*LPR_TRACK_MIN_CONFIDENCE/,
    );
  });

  it('a worker started with LPR_TRACK_REGION=true reads a moving plate from its region, one result per frame', async () => {
    const prefix = `trw-${Math.random().toString(36).slice(2, 8)}`;
    const keys = new StreamKeys(prefix);
    const inner = new ScriptedRecognizer((i) => ({
      plate: 'AB123CD',
      confidence: 0.97,
      box: box(100 + (i.ts % 100_000) / 5, 300),
    }));
    const env = {
      REDIS_URL: t.url,
      LPR_PREFIX: prefix,
      LPR_RECOGNIZER: 'noop',
      LPR_TRACK_REGION: 'true',
      WORKER_CONCURRENCY: '1',
      WORKER_HTTP_PORT: '0',
    };
    const svc = await startWorker(readWorkerConfig(new EnvReader(env), env), {
      recognizer: inner,
      logger: silentLogger,
    });
    try {
      const base = 1_700_000_000_000;
      const frames = [0, 100, 200].map((dt) => ({
        camera: 'cam-w',
        ts: base + dt,
        mime: 'image/jpeg' as const,
        img: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
      }));
      const ids = await pushFrames(t.client, prefix, frames);
      await waitFor(async () => (await t.client.xlen(keys.results)) === ids.length, {
        what: 'three results',
      });
    } finally {
      await svc.close();
    }
    expect(inner.asked.map((a) => Boolean(a.region))).toEqual([false, true, true]);
    const rows = await readStream(t.client, keys.results);
    expect(rows.map((r) => r.fields.plate)).toEqual(['AB123CD', 'AB123CD', 'AB123CD']);
  });
});
