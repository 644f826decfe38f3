/**
 * Recogniser cost benchmark: CPU per HD frame, per static frame, and the throughput of a realistic camera
 * stream, through the real ONNX recogniser (and the optional plate reader when LPR_MODEL_DIR has it) behind
 * the worker's static gate, on synthetic frames rendered at run time (models/synthetic).
 *
 *   npm run bench:recognize                        # table
 *   npm run bench:recognize -- --json              # {hdCpuMsMedian, hdCpuMsP95, staticCpuMsMedian, framesPerCoreSecond, ...}
 *   npm run bench:recognize -- --hd 24 --static 40 --stream 200 --moving 0.2 --pass 5
 *
 * - HD: --hd frames, half 1280x720 and half 1920x1080, plate characters 16-26 px (720p) and 22-36 px
 *   (1080p) high, each read in full. CPU = this process's user+system time around recognize() (every
 *   onnxruntime thread counts), so a busy machine moves it less than wall time.
 * - Static: one 1080p scene read once, then --static re-encodings of it with fresh sensor noise; each is
 *   compared with the reference in Redis and skipped.
 * - Stream: --stream frames of one camera, a share --moving of them vehicles in passes of --pass frames
 *   (new scenes, read in full; so is the first parked frame after a pass), the rest the parked scene again
 *   (skipped); framesPerCoreSecond = frames / CPU seconds, streamFps =
 *   frames / wall seconds with the frames read one after another.
 * - In flight: the same stream again with --inflight frames at once through the same recogniser, as
 *   WORKER_CONCURRENCY does in a worker: streamFpsInflight = frames / wall seconds, inflightScaling = that /
 *   streamFps. Default --inflight: the recogniser threads (LPR_RECOGNIZER_THREADS, default one per core), or
 *   the cores without a pool. onnxruntime-node runs inference synchronously on the calling thread, so a
 *   recogniser pool (models/pool) is how one process reads frames side by side: inflightScaling is about the
 *   cores on an otherwise idle machine with the default pool, and about 1 with LPR_RECOGNIZER_THREADS=1 (then
 *   only LPR_THREADS intra-op threads use more cores). streamCoresUsed / inflightCoresUsed = process CPU / wall
 *   seconds of each run: on 2 cores the in-flight run is CPU-bound (the static gate's thumbnails on the main
 *   thread and libuv share the cores with the recogniser threads), so cores used shows the pool at work better
 *   than inflightScaling there. loadAverage says how busy the machine was (this process's threads count too).
 * - Threads: recognizerThreads / intraOpThreads are the LPR_RECOGNIZER_THREADS / LPR_THREADS in effect. Compare
 *   the defaults with the old ones: LPR_RECOGNIZER_THREADS=1 LPR_THREADS=2 (on 2 cores).
 * Uses REDIS_URL when set, else a private redis-server (the static references live in Redis).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createOnnxRecognizer, recognizerConfigFromEnv } from '../models/index.ts';
import { renderScene } from '../models/synthetic/index.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { deleteKeysOfPrefix } from '../shared/redis/delete-prefix.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import type { RecognitionInput, Recognizer } from '../shared/recognizer.ts';
import { median, percentile } from '../shared/util/percentile.ts';
import { StaticGate } from '../worker/static-gate.ts';

const { values } = parseArgs({
  options: {
    hd: { type: 'string', default: '24' },
    static: { type: 'string', default: '40' },
    stream: { type: 'string', default: '200' },
    moving: { type: 'string', default: '0.2' },
    pass: { type: 'string', default: '5' },
    inflight: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const HD = Number(values.hd);
const STATIC = Number(values.static);
const STREAM = Number(values.stream);
const MOVING = Number(values.moving);
const PASS = Number(values.pass);
const RECOGNIZER = recognizerConfigFromEnv(process.env);
const INFLIGHT = Number(
  values.inflight ?? (RECOGNIZER.recognizerThreads > 1 ? RECOGNIZER.recognizerThreads : cpus().length),
);
{
  const bad: string[] = [];
  for (const [k, v] of Object.entries({
    hd: HD,
    static: STATIC,
    stream: STREAM,
    pass: PASS,
    inflight: INFLIGHT,
  }))
    if (!Number.isInteger(v) || v < 1) bad.push(`--${k} must be a positive integer`);
  if (!(MOVING >= 0 && MOVING <= 1)) bad.push('--moving must be from 0 to 1');
  if (bad.length) {
    process.stderr.write(`bench:recognize: ${bad.join('; ')}\n`);
    process.exit(2);
  }
}
const log = (msg: string) => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};

interface Frame {
  img: Buffer;
  text: string;
}

/** A synthetic scene at HD size with plates of a realistic size for that resolution. */
async function hdFrame(i: number, seedBase: string): Promise<Frame> {
  const big = i % 2 === 1;
  const r = await renderScene({
    seed: `${seedBase}-${i}`,
    width: big ? 1920 : 1280,
    height: big ? 1080 : 720,
    charHeight: big ? [22, 36] : [16, 26],
  });
  return { img: r.image, text: r.text };
}

/** The same scene with fresh sensor noise (±3 grey levels), JPEG again: what a fixed camera sends. */
async function withNoise(img: Buffer, seed: number): Promise<Buffer> {
  const { data, info } = await sharp(img).raw().toBuffer({ resolveWithObject: true });
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    data[i] = Math.max(0, Math.min(255, data[i]! + ((s >> 16) % 7) - 3));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** CPU ms (all threads of this process) and wall ms of one call. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; cpuMs: number; wallMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
}

let seq = 0;
const input = (camera: string, img: Buffer): RecognitionInput => ({
  id: `${Date.now()}-${seq++}`,
  camera,
  ts: Date.now(),
  mime: 'image/jpeg',
  img,
});

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'warn';
  let server: RedisServerProcess | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    server = await RedisServerProcess.start();
    url = server.url;
  }
  const prefix = `bench-rec-${process.pid}`;
  const keys = new StreamKeys(prefix);
  const redis = createRedis({ ...REDIS_DEFAULTS, url, prefix }, 'consumer', { name: 'bench-recognize' });
  await waitReady(redis, 5000);
  const inner: Recognizer = await createOnnxRecognizer({}, RECOGNIZER);
  const gate = new StaticGate(inner, {
    redis,
    keys,
    settingsFor: (camera) =>
      camera.startsWith('static') ? { threshold: 0.004, maxAgeMs: 3600_000 } : undefined,
  });
  try {
    log(
      `bench:recognize  ${cpus().length} cores, redis ${server ? 'private redis-server' : url}; rendering frames...`,
    );
    await gate.warmup();
    const hd = await Promise.all(Array.from({ length: HD }, (_, i) => hdFrame(i, 'bench-hd')));
    // Warm-up: the first runs of a session allocate its arenas (every recogniser thread's sessions).
    for (let round = 0; round < 2; round++)
      await Promise.all(
        Array.from({ length: INFLIGHT }, (_, i) => inner.recognize(input('warm', hd[i % hd.length]!.img))),
      );

    // 1. HD frames, each read in full.
    const hdRuns: { cpuMs: number; wallMs: number; exact: boolean; none: boolean; big: boolean }[] = [];
    for (const [i, f] of hd.entries()) {
      const m = await measured(() => gate.recognize(input(`hd-${i}`, f.img)));
      hdRuns.push({
        cpuMs: m.cpuMs,
        wallMs: m.wallMs,
        exact: m.value.plate === f.text,
        none: m.value.plate === '',
        big: i % 2 === 1,
      });
    }

    // 2. Static frames: one 1080p scene read once (the reference), then noisy repeats of it.
    const parked = await hdFrame(1, 'bench-parked');
    const repeats = await Promise.all(Array.from({ length: STATIC }, (_, i) => withNoise(parked.img, i + 1)));
    const first = await gate.recognize(input('static-1', parked.img));
    if (first.skipped) throw new Error('the first frame of a camera must be read in full');
    const staticRuns: number[] = [];
    let skipped = 0;
    for (const img of repeats) {
      const m = await measured(() => gate.recognize(input('static-1', img)));
      staticRuns.push(m.cpuMs);
      if (m.value.skipped === 'static') skipped++;
    }

    // 3. A camera stream: mostly the parked scene, a share of vehicle frames (new scenes).
    const vehicles = Math.round(STREAM * MOVING);
    const moving = await Promise.all(
      Array.from({ length: vehicles }, (_, i) => hdFrame(i * 2 + 1, 'bench-pass')),
    );
    // Vehicles come in passes of --pass consecutive frames, spread evenly over the stream.
    const passes = Math.ceil(vehicles / PASS);
    const gap = passes > 0 ? (STREAM - vehicles) / passes : 0;
    const stream: Buffer[] = [];
    for (let p = 0, v = 0; stream.length < STREAM; p++) {
      const parkedUntil = Math.round((p + 1) * gap) + v;
      while (stream.length < Math.min(STREAM, parkedUntil))
        stream.push(repeats[stream.length % repeats.length]!);
      for (let k = 0; k < PASS && v < vehicles && stream.length < STREAM; k++) stream.push(moving[v++]!.img);
      if (p > STREAM) break;
    }
    await gate.recognize(input('static-2', parked.img));
    const run = await measured(async () => {
      let n = 0;
      for (const img of stream) if ((await gate.recognize(input('static-2', img))).skipped) n++;
      return n;
    });
    // 4. The same stream with INFLIGHT frames at once (another camera, so it starts from a fresh reference).
    await gate.recognize(input('static-3', parked.img));
    const load0 = loadavg()[0]!;
    const parallel = await measured(async () => {
      let next = 0;
      let n = 0;
      const lane = async () => {
        while (next < stream.length) {
          const img = stream[next++]!;
          if ((await gate.recognize(input('static-3', img))).skipped) n++;
        }
      };
      await Promise.all(Array.from({ length: INFLIGHT }, lane));
      return n;
    });
    const load = Math.max(load0, loadavg()[0]!);

    const hdCpu = hdRuns.map((r) => r.cpuMs);
    const round = (v: number) => Math.round(v * 10) / 10;
    const out = {
      model: inner.id,
      cores: cpus().length,
      recognizerThreads: RECOGNIZER.recognizerThreads,
      intraOpThreads: RECOGNIZER.threads,
      hdFrames: HD,
      hdCpuMsMedian: round(median(hdCpu)),
      hdCpuMsP95: round(percentile(hdCpu, 95)),
      hd720CpuMsMedian: round(median(hdRuns.filter((r) => !r.big).map((r) => r.cpuMs))),
      hd1080CpuMsMedian: round(median(hdRuns.filter((r) => r.big).map((r) => r.cpuMs))),
      hdWallMsMedian: round(median(hdRuns.map((r) => r.wallMs))),
      hdExact: Math.round((hdRuns.filter((r) => r.exact).length / HD) * 1000) / 1000,
      hdExactFrames: hdRuns.filter((r) => r.exact).length,
      hdNoPlateFrames: hdRuns.filter((r) => r.none).length,
      staticFrames: STATIC,
      staticSkipped: skipped,
      staticCpuMsMedian: round(median(staticRuns)),
      staticCpuMsP95: round(percentile(staticRuns, 95)),
      streamFrames: STREAM,
      streamMovingShare: MOVING,
      streamPassFrames: PASS,
      streamSkipped: run.value,
      streamFps: round(STREAM / (run.wallMs / 1000)),
      framesPerCoreSecond: round(STREAM / (run.cpuMs / 1000)),
      streamCpuMsPerFrame: round(run.cpuMs / STREAM),
      inflight: INFLIGHT,
      streamFpsInflight: round(STREAM / (parallel.wallMs / 1000)),
      inflightScaling: round(run.wallMs / parallel.wallMs),
      inflightFramesPerCoreSecond: round(STREAM / (parallel.cpuMs / 1000)),
      streamCoresUsed: round(run.cpuMs / run.wallMs),
      inflightCoresUsed: round(parallel.cpuMs / parallel.wallMs),
      inflightSkipped: parallel.value,
      loadAverage: round(load),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(
        [
          `model ${out.model}, ${out.cores} cores, ${out.recognizerThreads} recogniser thread(s) x ${out.intraOpThreads} intra-op thread(s)`,
          `HD frames (${HD}, read in full)   CPU median ${out.hdCpuMsMedian} ms (720p ${out.hd720CpuMsMedian}, 1080p ${out.hd1080CpuMsMedian}), p95 ${out.hdCpuMsP95} ms; exact ${out.hdExactFrames}/${HD}, no plate ${out.hdNoPlateFrames}`,
          `static 1080p frames (${STATIC})       CPU median ${out.staticCpuMsMedian} ms, p95 ${out.staticCpuMsP95} ms; ${skipped}/${STATIC} skipped`,
          `camera stream (${STREAM} frames, ${(MOVING * 100).toFixed(0)} % vehicles) ${out.streamFps} frames/s wall, ${out.framesPerCoreSecond} frames per CPU-second (${out.streamCpuMsPerFrame} ms/frame), ${run.value} skipped`,
          `same stream, ${INFLIGHT} in flight      ${out.streamFpsInflight} frames/s wall (x${out.inflightScaling} of one at a time), ${out.inflightFramesPerCoreSecond} frames per CPU-second, ${out.inflightCoresUsed} cores used (${out.streamCoresUsed} one at a time), ${parallel.value} skipped; load average ${out.loadAverage} on ${out.cores} cores`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    await deleteKeysOfPrefix(redis, keys).catch(() => undefined);
    await gate.close();
    await closeRedis(redis);
    await server?.destroy();
  }
}

await main();
