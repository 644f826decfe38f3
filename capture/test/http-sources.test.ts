import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/codec/frame-codec.ts';
import { type CameraConfig, cameraFromFields } from '../../shared/config/camera-config.ts';
import { createLogger } from '../../shared/logger.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';
import { startIngest } from '../../ingest/service.ts';
import { TOKEN_A, testIngestConfig } from '../../ingest/test/helpers.ts';
import { checkCameras } from '../check.ts';
import { readCaptureConfig } from '../config.ts';
import { type CaptureService, startCapture } from '../service.ts';

/**
 * HTTP cameras written in the test: an MJPEG stream at 10 fps (multipart/x-mixed-replace, no
 * Content-Length in the parts), a snapshot URL that counts requests and TCP connections, and one that
 * answers 401 unless the right Basic credentials come.
 */
describe('capture from HTTP cameras (MJPEG stream, snapshot URL)', () => {
  let t: TestRedis;
  let http: Server;
  let base: string;
  let jpegs: Buffer[] = [];
  const services: CaptureService[] = [];
  let snapshotRequests = 0;
  let authRequests = 0;
  let digestRequests = 0;
  let digestServed = 0;
  /** What /still.jpg serves: an empty scene until a test puts a "vehicle" (a bright block) in it. */
  let still = 0;
  let scenes: Buffer[] = [];
  const sockets = new Set<unknown>();
  const streams = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    t = await useRedis();
    jpegs = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        sharp({
          create: {
            width: 320,
            height: 240,
            channels: 3,
            background: { r: 60 * i, g: 100, b: 200 - 40 * i },
          },
        })
          .jpeg()
          .toBuffer(),
      ),
    );
    const empty = {
      create: { width: 320, height: 240, channels: 3 as const, background: { r: 90, g: 90, b: 90 } },
    };
    const block = await sharp({
      create: { width: 100, height: 60, channels: 3, background: { r: 250, g: 250, b: 250 } },
    })
      .png()
      .toBuffer();
    scenes = [
      await sharp(empty).jpeg().toBuffer(),
      await sharp(empty)
        .composite([{ input: block, left: 150, top: 120 }])
        .jpeg()
        .toBuffer(),
    ];
    http = createServer((req, res) => {
      if (req.url === '/mjpeg') {
        res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
        let i = 0;
        const timer = setInterval(() => {
          const img = jpegs[i++ % jpegs.length]!;
          res.write(
            Buffer.concat([
              Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'),
              img,
              Buffer.from('\r\n'),
            ]),
          );
        }, 100);
        streams.add(timer);
        res.on('close', () => {
          clearInterval(timer);
          streams.delete(timer);
        });
      } else if (req.url === '/snapshot.jpg') {
        snapshotRequests += 1;
        sockets.add(req.socket);
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegs[snapshotRequests % jpegs.length]);
      } else if (req.url === '/still.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(scenes[still]);
      } else if (req.url?.startsWith('/digest.jpg')) {
        digestRequests += 1;
        if (digestOk(req.headers.authorization, req.url)) {
          digestServed += 1;
          res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegs[digestServed % jpegs.length]);
        } else {
          res
            .writeHead(401, {
              'www-authenticate': `Digest realm="cam", qop="auth", nonce="${NONCE}", opaque="op1"`,
            })
            .end();
        }
      } else if (req.url === '/private.jpg') {
        authRequests += 1;
        const ok = req.headers.authorization === `Basic ${Buffer.from('viewer:right').toString('base64')}`;
        if (ok) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegs[0]);
        else res.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' }).end('no');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of services) await s.close();
    for (const s of streams) clearInterval(s);
    http?.closeAllConnections();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await t?.close();
  });

  function camera(id: string, url: string, extra: Record<string, unknown> = {}): CameraConfig {
    return cameraFromFields({
      id,
      url,
      stall_timeout_s: 5,
      backoff_min_ms: 100,
      backoff_max_ms: 500,
      ...extra,
    });
  }

  async function start(
    prefix: string,
    cameras: CameraConfig[],
    logger = createLogger({ level: 'silent' }),
    env: Record<string, string> = {},
  ) {
    const config = readCaptureConfig({
      REDIS_URL: t.url,
      LPR_PREFIX: prefix,
      CAPTURE_HTTP_PORT: '0',
      CAPTURE_HTTP_HOST: '127.0.0.1',
      ...env,
    });
    const svc = await startCapture(config, cameras, { logger });
    services.push(svc);
    return svc;
  }

  async function framesOf(keys: StreamKeys, camera: string) {
    const rows = (await t.client.xrangeBuffer(keys.frames, '-', '+')) as [Buffer, Buffer[]][];
    return rows.map(([id, f]) => decodeFrame(id.toString(), f)).filter((f) => f.camera === camera);
  }

  it('MJPEG: parts pass through unchanged, sampled down to the camera fps; snapshots poll over keep-alive', async () => {
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    const svc = await start(prefix, [
      camera('mjpeg-1', `${base}/mjpeg`, { fps: 2 }),
      camera('snap-1', `${base}/snapshot.jpg`, { fps: 4, type: 'snapshot' }),
    ]);
    try {
      await waitFor(
        async () =>
          (await framesOf(keys, 'mjpeg-1')).length >= 6 && (await framesOf(keys, 'snap-1')).length >= 8,
        {
          timeoutMs: 30_000,
          intervalMs: 200,
          what: 'frames from both cameras',
        },
      );
      const mjpeg = await framesOf(keys, 'mjpeg-1');
      const known = new Set(jpegs.map((j) => j.toString('base64')));
      expect(mjpeg.every((f) => known.has(f.img.toString('base64')))).toBe(true);
      // 10 fps in, 2 fps out: the gaps between sent frames are about 500 ms, never 100 ms.
      const gaps = mjpeg.slice(1).map((f, i) => f.ts - mjpeg[i]!.ts);
      expect(Math.min(...gaps), gaps.join(',')).toBeGreaterThanOrEqual(350);
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      expect(metrics).toMatch(
        /platestream_capture_frames_skipped_total\{camera="mjpeg-1",reason="rate"\} [1-9]/,
      );
      expect(metrics).toMatch(/platestream_capture_up\{camera="snap-1"\} 1/);
      expect(metrics).toMatch(/platestream_capture_frames_sent_total\{camera="snap-1"\} [1-9]/);
      expect(metrics).toMatch(/platestream_capture_last_frame_age_seconds\{camera="mjpeg-1"\} 0\.\d+/);
      const health = (await (await fetch(`${svc.url}/healthz`)).json()) as {
        cameras: { camera: string; state: string }[];
      };
      expect(health.cameras.map((c) => c.state)).toEqual(['up', 'up']);
      // One keep-alive connection serves all the snapshot requests (a reconnect now and then is allowed).
      expect(snapshotRequests).toBeGreaterThanOrEqual(8);
      expect(sockets.size).toBeLessThanOrEqual(2);
    } finally {
      await svc.close();
      await t.cleanup(prefix);
    }
  }, 60_000);

  it('a snapshot camera refusing the credentials says so once and retries slowly', async () => {
    const prefix = uniquePrefix('cap');
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const started = Date.now();
    const before = authRequests;
    const svc = await start(
      prefix,
      [
        camera('private', `http://viewer:wrong@127.0.0.1:${new URL(base).port}/private.jpg`, {
          type: 'snapshot',
          fps: 5,
          auth_retry_ms: 400,
        }),
      ],
      logger,
    );
    try {
      await waitFor(() => authRequests >= 4, { timeoutMs: 20_000, what: 'several refused attempts' });
      const errors = lines.filter((l) => (l.level as number) >= 50);
      expect(errors.map((l) => l.code)).toEqual(['CAPTURE_AUTH_FAILED']);
      expect(String(errors[0]!.msg)).toMatch(/401/);
      expect(JSON.stringify(lines)).not.toContain('wrong');
      // Slow retry: auth_retry_ms (400 ms) apart, not the camera's 5 fps nor the 100 ms backoff.
      const attempts = authRequests - before;
      expect(attempts).toBeLessThanOrEqual((Date.now() - started) / 400 + 2);
      const status = svc.status()[0]!;
      expect(status.state).toBe('auth-failed');
      expect(status.lastError).toMatch(/401/);
    } finally {
      await svc.close();
      await t.cleanup(prefix);
    }
  }, 30_000);

  it('--check reads an MJPEG stream (measured fps) and a snapshot URL', async () => {
    const rows = await checkCameras(
      [
        camera('m', `${base}/mjpeg`),
        camera('s', `${base}/snapshot.jpg`, { type: 'snapshot' }),
        camera('x', `${base}/nope.jpg`),
      ],
      { ffprobePath: 'ffprobe', mjpegSampleMs: 1500 },
    );
    expect(rows[0]).toMatchObject({ camera: 'm', reachable: true, codec: 'mjpeg', width: 320, height: 240 });
    expect(rows[0]!.fps).toBeGreaterThan(5);
    expect(rows[0]!.fps).toBeLessThan(14);
    expect(rows[1]).toMatchObject({
      camera: 's',
      reachable: true,
      codec: 'jpeg',
      width: 320,
      height: 240,
      fps: undefined,
    });
    expect(rows[2]).toMatchObject({ camera: 'x', reachable: false });
    expect(rows[2]!.error).toMatch(/404/);
  }, 30_000);

  it('skip_static: an unchanged scene is sent once, a change goes through', async () => {
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    still = 0;
    const svc = await start(prefix, [
      camera('still-1', `${base}/still.jpg`, { type: 'snapshot', fps: 10, skip_static: true }),
    ]);
    try {
      const skippedStatic = async () => {
        const m = /platestream_capture_frames_skipped_total\{camera="still-1",reason="static"\} (\d+)/.exec(
          await (await fetch(`${svc.url}/metrics`)).text(),
        );
        return Number(m?.[1] ?? 0);
      };
      await waitFor(async () => (await skippedStatic()) >= 5, {
        timeoutMs: 20_000,
        what: 'static frames skipped',
      });
      expect((await framesOf(keys, 'still-1')).length).toBe(1);
      still = 1; // a vehicle enters: about 8 % of the pixels change, far above the 0.004 threshold
      await waitFor(async () => (await framesOf(keys, 'still-1')).length === 2, {
        timeoutMs: 20_000,
        what: 'the changed frame',
      });
      const frames = await framesOf(keys, 'still-1');
      expect(frames[1]!.img.equals(scenes[1]!)).toBe(true);
    } finally {
      await svc.close();
      await t.cleanup(prefix);
    }
  }, 40_000);

  it('sends to an ingest URL with a token instead of Redis (capture on a remote site)', async () => {
    const ingest = await startIngest(testIngestConfig(t), { logger: createLogger({ level: 'silent' }) });
    const keys = ingest.app.ingest.keys;
    const svc = await start(
      uniquePrefix('unused'),
      [camera('gate-remote', `${base}/snapshot.jpg`, { type: 'snapshot', fps: 5 })],
      createLogger({ level: 'silent' }),
      {
        CAPTURE_INGEST_URL: ingest.url,
        CAPTURE_INGEST_TOKEN: TOKEN_A,
      },
    );
    try {
      await waitFor(async () => (await framesOf(keys, 'gate-remote')).length >= 3, {
        timeoutMs: 20_000,
        what: 'frames through ingest',
      });
      const frames = await framesOf(keys, 'gate-remote');
      expect(frames.every((f) => f.mime === 'image/jpeg' && f.seq !== undefined)).toBe(true);
    } finally {
      await svc.close();
      await ingest.close();
      await t.cleanup(keys.prefix);
    }
  }, 30_000);

  it('answers a Digest challenge (what most IP cameras ask for) and reuses the nonce for the next polls', async () => {
    const prefix = uniquePrefix('cap');
    const keys = new StreamKeys(prefix);
    const svc = await start(prefix, [
      camera('digest-1', `http://viewer:right@127.0.0.1:${new URL(base).port}/digest.jpg?ch=1`, {
        type: 'snapshot',
        fps: 10,
      }),
    ]);
    try {
      await waitFor(async () => (await framesOf(keys, 'digest-1')).length >= 5, {
        timeoutMs: 20_000,
        what: 'frames behind Digest auth',
      });
      // One Basic attempt answered with the challenge, then one request per frame.
      expect(digestRequests).toBeLessThanOrEqual(digestServed + 2);
      expect(svc.status()[0]!.state).toBe('up');
    } finally {
      await svc.close();
      await t.cleanup(prefix);
    }
  }, 30_000);
});

const NONCE = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';
const md5 = (x: string) => createHash('md5').update(x).digest('hex');

/** Server side of RFC 7616 Digest (MD5, qop=auth) for user viewer / password right. */
function digestOk(header: string | undefined, url: string): boolean {
  if (!header?.startsWith('Digest ')) return false;
  const p: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[m[1]!] = m[2] ?? m[3] ?? '';
  if (p.username !== 'viewer' || p.nonce !== NONCE || p.uri !== url || p.opaque !== 'op1' || p.qop !== 'auth')
    return false;
  const ha1 = md5(`viewer:cam:right`);
  const ha2 = md5(`GET:${p.uri}`);
  return p.response === md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
}
