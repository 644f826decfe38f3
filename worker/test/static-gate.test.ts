import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { COUNTER, StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { scene } from '../../shared/test/scenes.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { readWorkerConfig } from '../config.ts';
import { StaticGate, skipsAnyCamera, staticSettingsLookup } from '../static-gate.ts';
import { Worker } from '../worker.ts';
import { pushFrames, readStream, testOptions } from './helpers.ts';
import { TestRecognizer } from './test-recognizer.ts';

describe('static frames (LPR_SKIP_STATIC)', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  function gated(
    prefix: string,
    inner: TestRecognizer,
    over: Partial<Parameters<typeof staticSettingsLookup>[0]> = {},
  ) {
    const o = { ...testOptions(), skipStatic: true, ...over };
    return new StaticGate(inner, {
      redis: t.client,
      keys: new StreamKeys(prefix),
      settingsFor: staticSettingsLookup(o),
      logger: silentLogger,
    });
  }

  it('gives an unchanged frame its one result marked skipped=static without reading it, and reads any change', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const inner = new TestRecognizer();
    const worker = new Worker({
      redis: config,
      // One frame at a time, in order; deadlines generous so a loaded machine never retries one out of order.
      options: testOptions({ concurrency: 1, processingTimeoutMs: 20_000, claimIdleMs: 60_000 }),
      recognizer: gated(config.prefix, inner),
      logger: silentLogger,
    });
    const empty = await scene({ seed: 1 });
    const sameAgain = await scene({ seed: 2 });
    const car = await scene({ seed: 3, car: { x: 480, y: 360, w: 300, h: 200 } });
    const carStill = await scene({ seed: 4, car: { x: 480, y: 360, w: 300, h: 200 } });
    const f = (img: Buffer, plate?: string) => ({
      camera: 'gate-1',
      ts: Date.now(),
      mime: 'image/jpeg' as const,
      img,
      meta: plate ? { plate } : {},
    });
    // Sent one by one (concurrency 1 keeps the order): empty road, the same road, a car, the car standing still.
    const ids = await pushFrames(t.client, config.prefix, [
      f(empty),
      f(sameAgain),
      f(car, 'AB123CD'),
      f(carStill, 'AB123CD'),
    ]);
    await worker.start();
    await waitFor(async () => (await t.client.xlen(keys.results)) === ids.length, { what: 'four results' });
    await worker.close();
    const rows = await readStream(t.client, keys.results);
    const byFrame = new Map(rows.map((r) => [r.fields.frame, r.fields]));
    expect(ids.map((id) => byFrame.get(id)?.skipped ?? 'read')).toEqual(['read', 'static', 'read', 'static']);
    expect(byFrame.get(ids[2]!)?.plate).toBe('AB123CD');
    expect(byFrame.get(ids[3]!)).toMatchObject({ plate: '', plates: '[]' });
    expect(typeof JSON.parse(byFrame.get(ids[1]!)!.timings!)['model.static']).toBe('number');
    expect(inner.calls).toBe(2);
    expect(await t.client.hget(keys.counters, COUNTER.skippedStatic)).toBe('2');
    await t.cleanup(config.prefix);
  });

  it('shares the reference between workers, keeps cameras apart, and re-reads once the reference is too old', async () => {
    const prefix = `st-${Math.random().toString(36).slice(2, 8)}`;
    const a = new TestRecognizer();
    const b = new TestRecognizer();
    const gateA = gated(prefix, a, { staticMaxAgeMs: 60_000 });
    const gateB = gated(prefix, b, { staticMaxAgeMs: 60_000 });
    const img = await scene({ seed: 7 });
    const input = (camera: string, id: string) => ({
      id,
      camera,
      ts: Date.now(),
      mime: 'image/jpeg' as const,
      img,
    });
    expect((await gateA.recognize(input('cam-a', '1-0'))).skipped).toBeUndefined();
    expect((await gateB.recognize(input('cam-a', '2-0'))).skipped).toBe('static'); // worker B sees A's reference
    expect((await gateB.recognize(input('cam-b', '3-0'))).skipped).toBeUndefined(); // another camera
    expect([a.calls, b.calls]).toEqual([1, 1]);
    // A reference older than LPR_STATIC_MAX_AGE_MS is not trusted: the frame is read and becomes the reference.
    const short = gated(prefix, a, { staticMaxAgeMs: 100 });
    const keys = new StreamKeys(prefix);
    await waitFor(async () => (await t.client.pttl(keys.staticReference('cam-a'))) > 0, {
      what: 'reference ttl',
    });
    await new Promise((r) => setTimeout(r, 150)); // let the reference age past 100 ms (the behaviour under test)
    expect((await short.recognize(input('cam-a', '4-0'))).skipped).toBeUndefined();
    expect(a.calls).toBe(2);
    await t.cleanup(prefix);
  });

  it('reads the options in the one environment pass, per camera too, and reports bad values together', () => {
    const env = {
      LPR_RECOGNIZER: 'noop',
      LPR_SKIP_STATIC: 'true',
      LPR_STATIC_THRESHOLD: '0.01',
      LPR_CAMERA_STATIC: 'cam-a=off;cam-b=0.05',
      LPR_STATIC_MAX_AGE_MS: '5000',
    };
    const w = readWorkerConfig(new EnvReader(env), env).worker;
    const lookup = staticSettingsLookup(w);
    expect(lookup('cam-a')).toBeUndefined();
    expect(lookup('cam-b')).toMatchObject({ threshold: 0.05, maxAgeMs: 5000 });
    expect(lookup('cam-c')).toMatchObject({ threshold: 0.01 });
    const off = readWorkerConfig(new EnvReader({ LPR_RECOGNIZER: 'noop' }), {}).worker;
    expect(skipsAnyCamera(off)).toBe(false);
    expect(skipsAnyCamera({ skipStatic: false, cameraStatic: { x: 'on' } })).toBe(true);
    // The cameras file capture reads (LPR_CAMERAS_FILE): roi and skip_static per camera; the env overrides it.
    const dir = mkdtempSync(join(tmpdir(), 'cams-'));
    const file = join(dir, 'cameras.yaml');
    writeFileSync(
      file,
      [
        'cameras:',
        '  - { id: gate-1, url: rtsp://127.0.0.1/a, skip_static: true, static_threshold: 0.02, roi: "0,360,1280,360" }',
        '  - { id: gate-2, url: rtsp://127.0.0.1/b, skip_static: true }',
        '  - { id: yard, url: rtsp://127.0.0.1/c }',
      ].join('\n'),
    );
    try {
      const fromFile = { LPR_CAMERAS_FILE: file, LPR_CAMERA_STATIC: 'gate-2=off' };
      const c = readWorkerConfig(new EnvReader(fromFile), fromFile);
      const look = staticSettingsLookup(c.worker, c.recognizer?.cameraRoi);
      expect(look('gate-1')).toMatchObject({ threshold: 0.02 });
      expect(look('gate-1')?.roi?.length).toBe(4);
      expect(c.recognizer?.cameraRoi['gate-1']).toEqual([
        [0, 360],
        [1280, 360],
        [1280, 720],
        [0, 720],
      ]);
      expect(look('gate-2')).toBeUndefined();
      expect(look('yard')).toBeUndefined();
      const missing = { LPR_CAMERAS_FILE: join(dir, 'nope.yaml'), LPR_RECOGNIZER: 'noop' };
      expect(() => readWorkerConfig(new EnvReader(missing), missing)).toThrow(
        /LPR_CAMERAS_FILE.*cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const bad = { LPR_RECOGNIZER: 'noop', LPR_STATIC_THRESHOLD: '2', LPR_CAMERA_STATIC: 'cam-a=maybe' };
    expect(() => readWorkerConfig(new EnvReader(bad), bad)).toThrow(
      /LPR_STATIC_THRESHOLD[\s\S]*LPR_CAMERA_STATIC/,
    );
  });
});
