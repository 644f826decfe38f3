import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoImages } from '../../models/synthetic/index.ts';
import { scene } from '../../shared/test/scenes.ts';
import { decodeFrame, type FrameEntry } from '../../shared/codec/frame-codec.ts';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { type ReplayProgress, replay } from '../replay/replay.ts';
import { type IngestService, startIngest } from '../service.ts';
import { makeImage, sha256, TOKEN_A, testIngestConfig } from './helpers.ts';

describe('replay', () => {
  let t: TestRedis;
  let dir: string;
  const services: IngestService[] = [];
  const images: Buffer[] = [];

  beforeAll(async () => {
    t = await useRedis();
    dir = mkdtempSync(join(tmpdir(), 'platestream-replay-'));
    // Names whose numeric order differs from plain string order.
    for (const n of [1, 2, 10]) {
      const img = await makeImage(n === 2 ? 'png' : 'jpeg', { seed: n });
      images.push(img);
      writeFileSync(join(dir, `img${n}.${n === 2 ? 'png' : 'jpg'}`), img);
    }
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
  });
  afterAll(async () => {
    for (const s of services) {
      await s.close();
      await t.cleanup(s.app.ingest.keys.prefix);
    }
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  async function start(env: Record<string, string> = {}) {
    const svc = await startIngest(testIngestConfig(t, env), { logger: silentLogger });
    services.push(svc);
    return { svc, keys: new StreamKeys(svc.app.ingest.keys.prefix) };
  }

  async function entries(keys: StreamKeys): Promise<FrameEntry[]> {
    const rows = (await t.client.xrangeBuffer(keys.frames, '-', '+')) as [Buffer, Buffer[]][];
    return rows.map(([id, f]) => decodeFrame(id.toString(), f));
  }

  it('replays a folder in name order over HTTP as several cameras, bytes unchanged', async () => {
    const { svc, keys } = await start();
    const progress: ReplayProgress[] = [];
    const summary = await replay(
      {
        source: { kind: 'folder', path: dir },
        target: { kind: 'http', url: svc.url, token: TOKEN_A },
        cameras: ['gate-1', 'gate-2'],
        rate: 0,
        loop: false,
        concurrency: 1,
        maxRetries: 3,
      },
      { onProgress: (p) => progress.push(p), collectIds: true },
    );
    expect(summary).toMatchObject({ sent: 6, accepted: 6, rejected: 0, failed: 0, total: 6 });
    expect(progress.at(-1)).toMatchObject({ sent: 6, accepted: 6 });
    const got = await entries(keys);
    expect(got.map((e) => e.id)).toEqual(summary.ids);
    for (const cam of ['gate-1', 'gate-2']) {
      const mine = got.filter((e) => e.camera === cam);
      expect(mine.map((e) => e.seq)).toEqual([0, 1, 2]);
      expect(mine.map((e) => sha256(e.img))).toEqual(images.map(sha256));
      expect(mine.map((e) => e.mime)).toEqual(['image/jpeg', 'image/png', 'image/jpeg']);
    }
  });

  it("--skip-static: sends a camera's frame only when its scene changed since the last one sent", async () => {
    const { svc, keys } = await start();
    const still = await scene({ seed: 1 });
    const stillAgain = await scene({ seed: 2 }); // same scene, other sensor noise
    const car = await scene({ seed: 3, car: { x: 400, y: 300, w: 300, h: 200 } });
    const folder = mkdtempSync(join(tmpdir(), 'replay-static-'));
    try {
      for (const [i, img] of [still, stillAgain, stillAgain, car, car].entries())
        writeFileSync(join(folder, `f${i}.jpg`), img);
      const summary = await replay({
        source: { kind: 'folder', path: folder },
        target: { kind: 'http', url: svc.url, token: TOKEN_A },
        cameras: ['gate-1'],
        rate: 0,
        loop: false,
        concurrency: 1,
        maxRetries: 3,
        skipStatic: 0.004,
      });
      expect(summary).toMatchObject({ sent: 2, accepted: 2, skipped: 3 });
      const got = await entries(keys);
      expect(got.map((e) => sha256(e.img))).toEqual([sha256(still), sha256(car)]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('replays a manifest with --loop and --limit, and reports rejected frames', async () => {
    const { svc, keys } = await start();
    const manifest = join(dir, 'list.txt');
    writeFileSync(manifest, '# two frames\nimg10.jpg\n\nimg1.jpg\n');
    const rejected: string[] = [];
    const summary = await replay(
      {
        source: { kind: 'manifest', path: manifest },
        target: { kind: 'http', url: svc.url, token: TOKEN_A },
        cameras: ['cam-a', 'cam-b'], // the token may not post for cam-b: 403
        rate: 200,
        loop: true,
        limit: 8,
        concurrency: 2,
        maxRetries: 0,
      },
      { onRejected: (r) => rejected.push(`${r.camera} ${r.status} ${r.reason}`) },
    );
    expect(summary).toMatchObject({ sent: 8, accepted: 4, rejected: 4, rejectedBy: { FORBIDDEN: 4 } });
    expect(new Set(rejected)).toEqual(new Set(['cam-b 403 FORBIDDEN']));
    const got = (await entries(keys)).sort((a, b) => a.seq! - b.seq!);
    expect(got.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(got.map((e) => sha256(e.img))).toEqual(
      [images[2]!, images[0]!, images[2]!, images[0]!].map(sha256),
    );
  });

  it('honours 503 Retry-After: waits, retries and finally delivers every frame', async () => {
    const { svc, keys } = await start({ LPR_MAX_BACKLOG: '2', LPR_RETRY_AFTER_S: '1' });
    // A stand-in worker that starts once the replay has been pushed back, then acknowledges and trims.
    const worker = new Redis(t.url, { maxRetriesPerRequest: null });
    let stop = false;
    let pushedBack!: () => void;
    const firstRetry = new Promise<void>((r) => {
      pushedBack = r;
    });
    const drain = (async () => {
      await firstRetry;
      while (!stop) {
        const r = (await worker.xreadgroup(
          'GROUP',
          WORKER_GROUP,
          'w',
          'COUNT',
          10,
          'BLOCK',
          100,
          'STREAMS',
          keys.frames,
          '>',
        )) as [string, [string, string[]][]][] | null;
        const ids = r?.[0]?.[1].map(([id]) => id) ?? [];
        if (ids.length) {
          await worker.xack(keys.frames, WORKER_GROUP, ...ids);
          await worker.xdel(keys.frames, ...ids);
        }
      }
    })();
    const started = Date.now();
    const summary = await replay(
      {
        source: { kind: 'folder', path: dir },
        target: { kind: 'http', url: svc.url, token: TOKEN_A },
        cameras: ['cam-a'],
        rate: 0,
        loop: true,
        limit: 12,
        concurrency: 6,
        maxRetries: 10,
      },
      {
        onProgress: (p) => {
          if (p.retried > 0) pushedBack();
        },
      },
    );
    stop = true;
    await drain;
    worker.disconnect();
    expect(summary).toMatchObject({ sent: 12, accepted: 12, failed: 0 });
    expect(summary.retried).toBeGreaterThan(0);
    expect(summary.retriedBy.BACKPRESSURE).toBe(summary.retried);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // at least one Retry-After wait
  });

  it('replays a short video made with ffmpeg straight into Redis', async () => {
    const video = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-t',
      '1',
      '-y',
      video,
    ]);
    const config = testIngestConfig(t);
    const keys = new StreamKeys(config.redis.prefix);
    const summary = await replay({
      source: { kind: 'video', path: video, fps: 5 },
      target: { kind: 'redis', redis: config.redis },
      cameras: ['cam-v'],
      rate: 0,
      loop: false,
      concurrency: 2,
      maxRetries: 0,
    });
    expect(summary).toMatchObject({ accepted: 5, rejected: 0, failed: 0 });
    const got = await entries(keys);
    expect(got).toHaveLength(5);
    for (const e of got) {
      expect(e).toMatchObject({ camera: 'cam-v', mime: 'image/jpeg' });
      const meta = await sharp(e.img).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 240]);
    }
    expect(new Set(got.map((e) => sha256(e.img))).size).toBe(5); // testsrc frames differ
    await t.cleanup(keys.prefix);
  });

  it('replays synthetic plate scenes (no files) straight into Redis', async () => {
    const config = testIngestConfig(t);
    const keys = new StreamKeys(config.redis.prefix);
    const summary = await replay({
      source: {
        kind: 'generated',
        name: 'synthetic',
        count: 3,
        frames: async function* () {
          yield* demoImages({ count: 3 });
        },
      },
      target: { kind: 'redis', redis: config.redis },
      cameras: ['cam-s'],
      rate: 0,
      loop: false,
      concurrency: 1,
      maxRetries: 0,
    });
    expect(summary).toMatchObject({ sent: 3, accepted: 3, total: 3 });
    const got = await entries(keys);
    expect(got.map((e) => e.seq)).toEqual([0, 1, 2]);
    for (const e of got) expect((await sharp(e.img).metadata()).width).toBeGreaterThan(0);
    await t.cleanup(keys.prefix);
  });
});
