import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/codec/frame-codec.ts';
import { type CameraConfig, cameraFromFields } from '../../shared/config/camera-config.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { createLogger } from '../../shared/logger.ts';
import {
  type Child,
  killChildren,
  silentLogger,
  spawnPlatestream,
  type TestRedis,
  uniquePrefix,
  useRedis,
} from '../../test/harness/index.ts';
import { checkCameras, formatCheckTable } from '../check.ts';
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
  const children: Child[] = [];

  beforeAll(async () => {
    t = await useRedis();
    dir = mkdtempSync(join(tmpdir(), 'platestream-capture-'));
    clip = join(dir, 'plates.mp4');
    await makePlateClip({ path: clip, width: 640, height: 360, fps: 10, scenes: 4 });
    server = await RtspTestServer.start();
  }, 60_000);
  afterAll(async () => {
    await killChildren(children);
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

  it('frames arrive at the sampled rate and workers read every one', async () => {
    const pub = await server.publish('cam1', clip);
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

      // Real workers read them: `platestream worker` (noop recogniser) writes one result per frame.
      const worker = spawnPlatestream(['worker'], {
        env: {
          REDIS_URL: t.url,
          LPR_PREFIX: prefix,
          LPR_RECOGNIZER: 'noop',
          WORKER_HTTP_PORT: '0',
          LOG_LEVEL: 'info',
        },
      });
      children.push(worker);
      const seen = frames.length;
      await waitFor(async () => (await t.client.xlen(keys.results)) >= seen, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `results for the first ${seen} frames`,
      });
      const results = await t.client.xrange(keys.results, '-', '+');
      const frameIds = new Set(frames.map((f) => f.id));
      const resultFields = results.map(([, f]) =>
        Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))),
      );
      expect(resultFields.filter((r) => frameIds.has(r.frame!)).length).toBe(seen);
      expect(resultFields.every((r) => r.camera === 'gate-1')).toBe(true);
      worker.proc.kill('SIGTERM');
      await worker.exited;
      const frame = frames[0]!;
      const meta = await sharp(frame.img).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 360]);
      expect(svc.status()[0]).toMatchObject({ camera: 'gate-1', state: 'up', reconnects: 0 });
    } finally {
      await svc.close();
      await pub.stop();
      await t.cleanup(prefix);
    }
  }, 90_000);

  /** A logger that keeps its JSON lines, to count what a failing camera logged. */
  function recordingLogger() {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    return { logger, lines, errors: () => lines.filter((l) => (l.level as number) >= 50) };
  }

  async function frameCount(keys: StreamKeys, camera?: string): Promise<number> {
    if (camera === undefined) return t.client.xlen(keys.frames);
    const rows = (await t.client.xrangeBuffer(keys.frames, '-', '+')) as [Buffer, Buffer[]][];
    return rows.filter(([id, f]) => decodeFrame(id.toString(), f).camera === camera).length;
  }

  it('a video file plays in a loop as a camera (no restart at the end of the clip)', async () => {
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    // The clip is 4 s long (4 scenes of 1 s); frames over more than 6 s mean it looped inside ffmpeg.
    const svc = await startCapture(captureConfig(prefix), [camera('file-1', clip, { fps: 3 })], {
      logger: silentLogger,
    });
    services.push(svc);
    try {
      let first: number | undefined;
      await waitFor(
        async () => {
          const rows = (await t.client.xrangeBuffer(keys.frames, '-', '+')) as [Buffer, Buffer[]][];
          const ts = rows.map(([id, f]) => decodeFrame(id.toString(), f).ts);
          first ??= ts[0];
          return first !== undefined && ts.length > 0 && ts[ts.length - 1]! - first > 6000;
        },
        { timeoutMs: 40_000, intervalMs: 250, what: 'frames past the end of the clip' },
      );
      expect(svc.status()[0]).toMatchObject({ state: 'up', reconnects: 0 });
    } finally {
      await svc.close();
      await t.cleanup(prefix);
    }
  }, 60_000);

  it('reconnects within the backoff after the camera goes away and comes back', async () => {
    let pub = await server.publish('cam2', clip);
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    const rec = recordingLogger();
    const cam = camera('gate-2', server.url('cam2'), {
      fps: 4,
      stall_timeout_s: 2,
      backoff_min_ms: 200,
      backoff_max_ms: 1500,
    });
    const svc = await startCapture(captureConfig(prefix), [cam], { logger: rec.logger });
    services.push(svc);
    try {
      await waitFor(async () => (await t.client.xlen(keys.frames)) >= 3, {
        timeoutMs: 30_000,
        what: 'first frames',
      });
      await pub.stop();
      await waitFor(() => svc.status()[0]!.state !== 'up', {
        timeoutMs: 20_000,
        what: 'the stall to be noticed',
      });
      // Down for a few backoff rounds, then the camera comes back.
      await waitFor(() => svc.status()[0]!.reconnects >= 2, {
        timeoutMs: 30_000,
        what: 'reconnect attempts',
      });
      const before = await t.client.xlen(keys.frames);
      pub = await server.publish('cam2', clip);
      const back = Date.now();
      await waitFor(async () => (await t.client.xlen(keys.frames)) > before, {
        timeoutMs: 30_000,
        what: 'frames after the restart',
      });
      const took = Date.now() - back;
      const status = svc.status()[0]!;
      expect(status.state).toBe('up');
      expect(status.lastReconnectMs).toBeGreaterThan(0);
      // At most one backoff wait (≤ 1.2 × 1500 ms with jitter) plus connecting, ffmpeg's probing of the
      // stream and the first decoded frame (seconds on a loaded 2-core machine).
      expect(took, 'ms from the camera coming back to its first frame').toBeLessThan(1800 + 10_000);
      const failures = rec.errors().filter((l) => l.code === 'CAPTURE_SOURCE_FAILED');
      expect(failures.length, JSON.stringify(failures)).toBeGreaterThanOrEqual(1);
      // One line per kind of failure (stalled, then not-found while the mount is gone), not one per attempt.
      expect(failures.length).toBeLessThanOrEqual(3);
      expect(rec.lines.some((l) => String(l.msg).includes('receiving frames again'))).toBe(true);
    } finally {
      await svc.close();
      await pub.stop();
      await t.cleanup(prefix);
    }
  }, 120_000);

  it('a wrong URL and refused credentials give one clear error each, and keep retrying', async () => {
    // An RTSP "camera" that answers every request with 401 (what a camera does with a wrong password).
    const authServer: TcpServer = createTcpServer((sock) => {
      sock.on('data', (d) => {
        const cseq = /CSeq:\s*(\d+)/i.exec(d.toString())?.[1] ?? '1';
        sock.write(
          `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`,
        );
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => authServer.listen(0, '127.0.0.1', () => r()));
    const authPort = (authServer.address() as { port: number }).port;
    const prefix = uniquePrefix('cap');
    const rec = recordingLogger();
    const svc = await startCapture(
      captureConfig(prefix),
      [
        camera('wrong-url', server.url('no-such-mount'), { backoff_min_ms: 100, backoff_max_ms: 300 }),
        camera('bad-password', `rtsp://admin:wrong@127.0.0.1:${authPort}/stream`, { auth_retry_ms: 300 }),
      ],
      { logger: rec.logger },
    );
    services.push(svc);
    try {
      await waitFor(() => svc.status().every((s) => s.reconnects >= 3), {
        timeoutMs: 30_000,
        what: 'several attempts each',
      });
      const errors = rec.errors();
      const wrong = errors.filter((l) => l.camera === 'wrong-url');
      const auth = errors.filter((l) => l.camera === 'bad-password');
      expect(wrong.map((l) => l.code)).toEqual(['CAPTURE_SOURCE_FAILED']);
      expect(String(wrong[0]!.msg)).toMatch(/404|not found/i);
      expect(auth.map((l) => l.code)).toEqual(['CAPTURE_AUTH_FAILED']);
      expect(String(auth[0]!.msg)).toMatch(/refused the credentials/);
      // The password never reaches the log.
      expect(JSON.stringify(rec.lines)).not.toContain('wrong@');
      expect(svc.status().find((s) => s.camera === 'bad-password')!.state).toBe('auth-failed');
    } finally {
      await svc.close();
      authServer.close();
      await t.cleanup(prefix);
    }
  }, 60_000);

  it('runs 8 cameras in one process; a dead 9th does not hold them up', async () => {
    const pubs = await Promise.all(Array.from({ length: 8 }, (_, i) => server.publish(`multi${i}`, clip)));
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    const cams = pubs.map((_, i) => camera(`cam-${i}`, server.url(`multi${i}`), { fps: 2 }));
    cams.push(camera('dead', 'rtsp://127.0.0.1:1/nothing', { backoff_min_ms: 100, backoff_max_ms: 500 }));
    const svc = await startCapture(captureConfig(prefix), cams, { logger: silentLogger });
    services.push(svc);
    try {
      await waitFor(
        async () => {
          const counts = await Promise.all(cams.slice(0, 8).map((c) => frameCount(keys, c.id)));
          return counts.every((n) => n >= 3);
        },
        { timeoutMs: 60_000, intervalMs: 500, what: '3 frames from each of 8 cameras' },
      );
      const status = svc.status();
      expect(
        status
          .filter((s) => s.state === 'up')
          .map((s) => s.camera)
          .sort(),
      ).toEqual(
        cams
          .slice(0, 8)
          .map((c) => c.id)
          .sort(),
      );
      expect(status.find((s) => s.camera === 'dead')!.state).not.toBe('up');
    } finally {
      await svc.close();
      await Promise.all(pubs.map((p) => p.stop()));
      await t.cleanup(prefix);
    }
  }, 120_000);

  it('SIGTERM stops every ffmpeg child; SIGKILL of the capture leaves none behind either', async () => {
    const pub = await server.publish('cam3', clip);
    const prefix = uniquePrefix('cap');
    try {
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        const child = spawnPlatestream(
          [
            'capture',
            '--url',
            server.url('cam3'),
            '--camera',
            'sig-1',
            '--rtsp-transport',
            'udp',
            '--fps',
            '2',
            '--port',
            '0',
          ],
          { env: { REDIS_URL: t.url, LPR_PREFIX: prefix, LOG_LEVEL: 'info' } },
        );
        children.push(child);
        await child.logged('receiving frames');
        const ffmpegs = childPids(child.proc.pid!, 'ffmpeg');
        expect(ffmpegs.length, child.output()).toBe(1);
        child.proc.kill(signal);
        const exit = await child.exited;
        if (signal === 'SIGTERM') {
          expect(exit.code, child.output()).toBe(0);
          // A clean stop, not a camera failure.
          expect(child.output()).not.toContain('CAPTURE_SOURCE_FAILED');
          expect(child.output()).toContain('capture stopped');
        }
        await waitFor(() => ffmpegs.every((pid) => !alive(pid)), {
          timeoutMs: 10_000,
          what: `ffmpeg ${ffmpegs.join(',')} to exit after ${signal} of the capture`,
        });
      }
    } finally {
      await pub.stop();
      await t.cleanup(prefix);
    }
  }, 90_000);

  it('--check reports reachable, codec, resolution and fps, and what is wrong with the rest', async () => {
    const pub = await server.publish('cam4', clip);
    try {
      await waitFor(
        async () =>
          (await checkCameras([camera('c', server.url('cam4'))], { ffprobePath: 'ffprobe' }))[0]!.reachable,
        {
          timeoutMs: 20_000,
          intervalMs: 500,
          what: 'the published stream',
        },
      );
      const rows = await checkCameras(
        [
          camera('good', server.url('cam4')),
          camera('missing', server.url('nothing-here'), { stall_timeout_s: 3 }),
        ],
        { ffprobePath: 'ffprobe' },
      );
      expect(rows[0]).toMatchObject({
        camera: 'good',
        reachable: true,
        codec: 'h264',
        width: 640,
        height: 360,
        fps: 10,
      });
      expect(rows[1]).toMatchObject({ camera: 'missing', reachable: false });
      expect(rows[1]!.error).toMatch(/not-found|404/i);
      const table = formatCheckTable(rows);
      expect(table).toMatch(/good\s+yes\s+h264\s+640x360\s+10/);
      expect(table).toMatch(/missing\s+NO/);
    } finally {
      await pub.stop();
    }
  }, 60_000);
});

/** PIDs of `parent`'s direct children whose command is `name`. */
function childPids(parent: number, name: string): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), '-x', name], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
