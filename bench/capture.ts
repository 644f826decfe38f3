/**
 * Capture benchmark: N RTSP cameras (720p H.264 at --source-fps, a loop of synthetic plate scenes) served
 * by a private rtsp-server-perl, pulled by one `platestream capture` process at --fps each into a private
 * redis-server, where a consumer reads, acknowledges and deletes every frame as a worker would.
 *
 *   npm run bench:capture                      # human-readable summary
 *   npm run bench:capture -- --json            # {cameras, fpsPerCamera, cpuPerCameraPct, reconnectMs, ...}
 *   npm run bench:capture -- --cameras 8 --fps 5 --seconds 30 --width 1280 --height 720 --source-fps 25 --noise 12 --bitrate 3M
 *
 * --noise adds temporal noise to the clip (ffmpeg `noise` filter) so every frame differs, as a real camera
 * sensor's do; without it the mostly still synthetic scenes decode far cheaper than a real stream. --bitrate
 * caps the stream at what a 720p IP camera typically sends. *
 * fpsPerCamera: frames per second each camera delivered into Redis over the steady window (capture
 * timestamps), the slowest and the mean camera. cpuPerCameraPct: CPU of the capture process tree (node +
 * its ffmpeg children, from /proc utime+stime) over the window, in % of one core, divided by the cameras.
 * reconnectMs: one camera's publisher is stopped until capture notices (stall), then started again;
 * the time from the stream being back to its first frame in Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { makePlateClip, RtspTestServer, rtspUnavailable } from '../capture/rtsp-test-server.ts';
import { decodeFrame } from '../shared/codec/frame-codec.ts';
import { StreamKeys, WORKER_GROUP } from '../shared/redis/keys.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import { freePort } from '../shared/util/free-port.ts';
import { waitFor } from '../shared/util/wait.ts';

const BIN = fileURLToPath(new URL('../bin/platestream.js', import.meta.url));

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '8' },
    fps: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '30' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
    'source-fps': { type: 'string', default: '25' },
    noise: { type: 'string', default: '12' },
    bitrate: { type: 'string', default: '3M' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const CAMERAS = Number(values.cameras);
const FPS = Number(values.fps);
const SECONDS = Number(values.seconds);
const SOURCE_FPS = Number(values['source-fps']);
const log = (msg: string) => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** utime + stime (clock ticks) of a process and every descendant alive now; `ffmpeg` = the ffmpeg ones. */
function treeTicks(root: number): { ticks: number; ffmpeg: number; ffmpegs: number } {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(f[1]));
      comm.set(Number(name), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      ticks.set(Number(name), Number(f[11]) + Number(f[12]));
    } catch {
      // exited meanwhile
    }
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++)
    for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  const ff = pids.filter((p) => comm.get(p) === 'ffmpeg');
  return {
    ticks: pids.reduce((s, p) => s + (ticks.get(p) ?? 0), 0),
    ffmpeg: ff.reduce((s, p) => s + (ticks.get(p) ?? 0), 0),
    ffmpegs: ff.length,
  };
}

async function main(): Promise<void> {
  const missing = rtspUnavailable();
  if (missing) throw new Error(`bench:capture needs ffmpeg and rtsp-server-perl: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'platestream-bench-capture-'));
  const redisServer = await RedisServerProcess.start({ args: ['--maxmemory-policy', 'noeviction'] });
  const prefix = 'bench-capture';
  const keys = new StreamKeys(prefix);
  const redis = new Redis(redisServer.url);
  let rtsp: RtspTestServer | undefined;
  let capture: ChildProcess | undefined;
  let stopConsumer = false;
  try {
    const clip = join(dir, 'plates-720p.mp4');
    log(`bench:capture: making a ${values.width}x${values.height} H.264 clip at ${SOURCE_FPS} fps ...`);
    await makePlateClip({
      path: clip,
      width: Number(values.width),
      height: Number(values.height),
      fps: SOURCE_FPS,
      scenes: 10,
      noise: Number(values.noise),
      bitrate: values.bitrate,
    });
    rtsp = await RtspTestServer.start();
    const publishers = await Promise.all(
      Array.from({ length: CAMERAS }, (_, i) => rtsp!.publish(`cam${i}`, clip)),
    );
    const camerasFile = join(dir, 'cameras.yaml');
    const lines = [
      'defaults: { rtsp_transport: udp, stall_timeout_s: 3, backoff_min_ms: 250, backoff_max_ms: 2000 }',
      'cameras:',
    ];
    for (let i = 0; i < CAMERAS; i++)
      lines.push(`  - { id: cam-${i}, url: "${rtsp.url(`cam${i}`)}", fps: ${FPS} }`);
    writeFileSync(camerasFile, `${lines.join('\n')}\n`);
    const port = await freePort();
    capture = spawn(process.execPath, [BIN, 'capture', '--config', camerasFile, '--port', String(port)], {
      env: {
        ...process.env,
        REDIS_URL: redisServer.url,
        LPR_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        LPR_MAX_BACKLOG: '100000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });

    // The consumer: read each frame through the workers group, note camera and time, ack and delete it.
    const arrivals = new Map<string, number[]>();
    const consumer = new Redis(redisServer.url);
    await waitFor(async () => (await redis.exists(keys.frames)) === 1, {
      timeoutMs: 60_000,
      what: 'the frames stream',
    });
    const consuming = (async () => {
      while (!stopConsumer) {
        const reply = (await consumer.xreadgroupBuffer(
          'GROUP',
          WORKER_GROUP,
          'bench',
          'COUNT',
          100,
          'BLOCK',
          500,
          'STREAMS',
          keys.frames,
          '>',
        )) as [Buffer, [Buffer, Buffer[]][]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        const now = Date.now();
        for (const [id, fields] of entries) {
          const f = decodeFrame(id.toString(), fields);
          const a = arrivals.get(f.camera) ?? [];
          if (a.length === 0) arrivals.set(f.camera, a);
          a.push(now);
        }
        const ids = entries.map(([id]) => id.toString());
        await consumer
          .multi()
          .xack(keys.frames, WORKER_GROUP, ...ids)
          .xdel(keys.frames, ...ids)
          .exec();
      }
    })();

    await waitFor(
      () => arrivals.size === CAMERAS && [...arrivals.values()].every((a) => a.length >= FPS * 2),
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        what: `frames from all ${CAMERAS} cameras`,
      },
    );
    log(`bench:capture: all ${CAMERAS} cameras flowing; measuring ${SECONDS} s`);
    const t0 = Date.now();
    const c0 = treeTicks(capture.pid!);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const c1 = treeTicks(capture.pid!);
    const t1 = Date.now();
    const seconds = (t1 - t0) / 1000;
    const perCamera = [...arrivals.entries()].map(([cam, a]) => ({
      cam,
      fps: a.filter((t) => t >= t0 && t < t1).length / seconds,
    }));
    const cpuPct = ((c1.ticks - c0.ticks) / 100 / seconds) * 100;
    const ffmpegPct = ((c1.ffmpeg - c0.ffmpeg) / 100 / seconds) * 100;

    // What capture itself counted: frames from ffmpeg vs frames sent, and why any were not sent.
    const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sum = (re: RegExp) => [...metricsText.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0);
    const skipped: Record<string, number> = {};
    for (const m of metricsText.matchAll(
      /platestream_capture_frames_skipped_total\{camera="[^"]+",reason="([^"]+)"\} (\d+)/g,
    ))
      skipped[m[1]!] = (skipped[m[1]!] ?? 0) + Number(m[2]);
    const captured = sum(/platestream_capture_frames_captured_total\{[^}]*\} (\d+)/g);
    const sent = sum(/platestream_capture_frames_sent_total\{[^}]*\} (\d+)/g);

    // Reconnect: camera 0 goes away until capture notices, then comes back.
    await publishers[0]!.stop();
    await waitFor(
      async () => {
        const h = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
          cameras: { camera: string; state: string }[];
        };
        return h.cameras.find((c) => c.camera === 'cam-0')?.state !== 'up';
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'capture to notice camera 0 is gone' },
    );
    const before = arrivals.get('cam-0')!.length;
    publishers[0] = await rtsp.publish('cam0', clip);
    const back = Date.now();
    await waitFor(() => arrivals.get('cam-0')!.length > before, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'camera 0 frames again',
    });
    const reconnectMs = Date.now() - back;

    const fpsList = perCamera.map((p) => p.fps);
    const result = {
      cameras: CAMERAS,
      fpsPerCamera: round(fpsList.reduce((s, x) => s + x, 0) / fpsList.length, 2),
      fpsPerCameraMin: round(Math.min(...fpsList), 2),
      targetFps: FPS,
      cpuPerCameraPct: round(cpuPct / CAMERAS),
      cpuTotalPct: round(cpuPct),
      ffmpegPerCameraPct: round(ffmpegPct / CAMERAS),
      nodePct: round(cpuPct - ffmpegPct),
      reconnectMs,
      ffmpegChildren: c1.ffmpegs,
      capturedTotal: captured,
      sentTotal: sent,
      skipped,
      source: `${values.width}x${values.height} H.264 ${SOURCE_FPS} fps (noise ${values.noise}, ${values.bitrate}bit/s) over RTSP/UDP`,
      seconds: round(seconds),
    };
    log(
      `bench:capture: ${CAMERAS} cameras at ${FPS} fps (${result.source}): ${result.fpsPerCamera} fps per camera (slowest ${result.fpsPerCameraMin}), CPU ${result.cpuPerCameraPct} % of a core per camera (${result.cpuTotalPct} % in all), reconnect ${reconnectMs} ms`,
    );
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    stopConsumer = true;
    await consuming;
    consumer.disconnect();
  } finally {
    stopConsumer = true;
    if (capture && capture.exitCode === null) {
      const exited = new Promise((r) => capture!.once('exit', r));
      capture.kill('SIGTERM');
      await exited;
    }
    await rtsp?.stop();
    redis.disconnect();
    await redisServer.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:capture failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
