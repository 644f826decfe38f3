import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/codec/frame-codec.ts';
import { type CameraConfig, cameraFromFields } from '../../shared/config/camera-config.ts';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { silentLogger, type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';
import { type CaptureConfig, readCaptureConfig } from '../config.ts';
import { makePlateClip, RtspTestServer, rtspUnavailable } from '../rtsp-test-server.ts';
import { type CaptureService, startCapture } from '../service.ts';

const missing = rtspUnavailable();
if (missing) console.warn(`SKIPPED capture RTSP tests: ${missing}`);

describe.skipIf(missing !== undefined)('capture from a real RTSP server', () => {
  let t: TestRedis;
  let server: RtspTestServer;
  let dir: string;
  let clip: string;
  const services: CaptureService[] = [];

  beforeAll(async () => {
    t = await useRedis();
    dir = mkdtempSync(join(tmpdir(), 'platestream-capture-'));
    clip = join(dir, 'plates.mp4');
    await makePlateClip({ path: clip, width: 640, height: 360, fps: 10, scenes: 4 });
    server = await RtspTestServer.start();
  }, 60_000);
  afterAll(async () => {
    for (const s of services) await s.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  function captureConfig(prefix: string): CaptureConfig {
    const redis = t.config(prefix);
    return readCaptureConfig({
      REDIS_URL: redis.url,
      LPR_PREFIX: prefix,
      CAPTURE_HTTP_PORT: '0',
      CAPTURE_HTTP_HOST: '127.0.0.1',
    });
  }

  function camera(id: string, url: string, extra: Record<string, unknown> = {}): CameraConfig {
    return cameraFromFields({
      id,
      url,
      rtsp_transport: 'udp',
      stall_timeout_s: 4,
      backoff_min_ms: 200,
      backoff_max_ms: 2000,
      ...extra,
    });
  }

  it('frames arrive at the sampled rate and are read through the workers group', async () => {
    const pub = server.publish('cam1', clip);
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    const fps = 4;
    const svc = await startCapture(captureConfig(prefix), [camera('gate-1', server.url('cam1'), { fps })], {
      logger: silentLogger,
    });
    services.push(svc);
    try {
      // Wait for the stream to flow, then count frames over a window of capture timestamps.
      await waitFor(async () => (await t.client.xlen(keys.frames)) >= 3, {
        timeoutMs: 30_000,
        what: 'first frames',
      });
      const from = Date.now();
      const windowMs = 4000;
      await waitFor(
        async () => {
          const last = await t.client.xrevrange(keys.frames, '+', '-', 'COUNT', 1);
          return last.length > 0 && Number(last[0]![1][3]) >= from + windowMs;
        },
        { timeoutMs: 30_000, what: 'a frame after the window' },
      );
      const rows = (await t.client.xrangeBuffer(keys.frames, '-', '+')) as [Buffer, Buffer[]][];
      const frames = rows.map(([id, f]) => decodeFrame(id.toString(), f));
      const inWindow = frames.filter((f) => f.ts >= from && f.ts < from + windowMs).length;
      const rate = inWindow / (windowMs / 1000);
      expect(rate, `${inWindow} frames in ${windowMs} ms`).toBeGreaterThanOrEqual(fps * 0.6);
      expect(rate).toBeLessThanOrEqual(fps * 1.4);
      expect(frames.every((f) => f.camera === 'gate-1' && f.mime === 'image/jpeg')).toBe(true);
      expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));

      // A worker's read: XREADGROUP on the group capture created, and the image decodes at the clip's size.
      const read = (await t.client.xreadgroupBuffer(
        'GROUP',
        WORKER_GROUP,
        'test-worker',
        'COUNT',
        2,
        'STREAMS',
        keys.frames,
        '>',
      )) as [Buffer, [Buffer, Buffer[]][]][] | null;
      const entry = read?.[0]?.[1][0];
      expect(entry).toBeDefined();
      const frame = decodeFrame(entry![0].toString(), entry![1]);
      const meta = await sharp(frame.img).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 360]);
      expect(svc.status()[0]).toMatchObject({ camera: 'gate-1', state: 'up', reconnects: 0 });
    } finally {
      await svc.close();
      await pub.stop();
      await t.cleanup(prefix);
    }
  }, 90_000);
});
