/**
 * Ingest throughput benchmark: 100 KB frames through
 *   1. the HTTP API (a real `platestream ingest` process, keep-alive sockets, concurrent requests),
 *   2. FrameProducer.add (the producer code behind the API and `replay --to redis`),
 *   3. a raw ioredis XADD loop (the ceiling),
 * measured in the same run against the same Redis.
 *
 * How it measures, for a shared and noisy machine:
 * - Steady state: every mode first pushes `--warmup` frames (default 3000) that are not counted. The ingest
 *   service runs for days; its first few thousand requests run at about half speed while V8 optimises it.
 * - Rounds: each round times every mode once, in ABBA order (raw, xadd, http, then http, xadd, raw), so a
 *   slow minute of the host hits all modes alike. A ratio is taken inside each round and the reported
 *   ratio is the median of the per-round ratios; frames/s are per-mode medians.
 * - The HTTP load generator is undici's Pool (`--http-client node` uses node:http's Agent). It shares the
 *   machine with the ingest process and Redis, so its own CPU cost counts against the HTTP figure.
 *
 *   npm run bench:ingest                       # private redis-server, human-readable table
 *   npm run bench:ingest -- --json             # one JSON object {httpFps, xaddFps, rawFps, httpRatio, xaddRatio, ...}
 *   REDIS_URL=redis://host:6379 npm run bench:ingest -- --frames 2000 --concurrency 32 --rounds 9
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import sharp from 'sharp';
import { INGEST_DEFAULTS } from '../ingest/config.ts';
import { inspectImage } from '../ingest/image-header.ts';
import { FrameProducer } from '../ingest/producer.ts';

import { encodeFrame } from '../shared/codec/frame-codec.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { waitFor } from '../shared/util/wait.ts';
import { freePort } from '../test/harness/free-port.ts';
import { RedisServerProcess } from '../test/harness/redis-server.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    json: { type: 'boolean', default: false },
    frames: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '7' },
    size: { type: 'string', default: String(100 * 1024) },
    'ingest-node-args': { type: 'string', default: '' },
    modes: { type: 'string', default: 'raw,xadd,http' },
    'ingest-processes': { type: 'string', default: '1' },
    warmup: { type: 'string', default: '3000' },
    'http-client': { type: 'string', default: 'undici' },
  },
});
const FRAMES = Number(values.frames);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const SIZE = Number(values.size);
const WARMUP = Number(values.warmup);
const MODES = ['raw', 'xadd', 'http'] as const;
type Mode = (typeof MODES)[number];
const SELECTED = values.modes.split(',').map((m) => m.trim());
{
  const bad: string[] = [];
  for (const [name, v] of Object.entries({
    frames: FRAMES,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    size: SIZE,
  }))
    if (!Number.isInteger(v) || v < 1) bad.push(`--${name} must be a positive integer`);
  if (!Number.isInteger(WARMUP) || WARMUP < 0) bad.push('--warmup must be an integer >= 0');
  if (SIZE < 1024) bad.push('--size must be at least 1024 bytes (a JPEG header plus padding)');
  for (const m of SELECTED)
    if (!(MODES as readonly string[]).includes(m)) bad.push(`--modes: unknown mode "${m}"`);
  if (!SELECTED.includes('raw'))
    bad.push('--modes must include raw (the baseline every ratio is taken against)');
  if (!['undici', 'node'].includes(values['http-client'])) bad.push('--http-client must be undici or node');
  if (bad.length > 0) {
    process.stderr.write(`bench:ingest: ${bad.join('; ')}\n`);
    process.exit(2);
  }
}
const TOKEN = 'bench-token-0123456789';
const log = (msg: string) => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};

/** A valid JPEG header padded to exactly `bytes` (ingest reads headers only; the tail is opaque data). */
async function frameOfSize(bytes: number): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) & 0xff;
  const jpeg = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg()
    .toBuffer();
  const out = Buffer.alloc(bytes);
  jpeg.copy(out);
  for (let i = jpeg.length; i < bytes; i++) out[i] = (i * 31) & 0xff;
  return out;
}

/** Runs `n` operations with `c` in flight; returns frames per second. */
async function timed(n: number, c: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  return n / s;
}

function post(agent: Agent, port: number, body: Buffer, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v1/cameras/bench-${i % 8}/frames?seq=${i}`,
        headers: {
          'content-type': 'image/jpeg',
          'content-length': body.length,
          authorization: `Bearer ${TOKEN}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 202 ? resolve() : reject(new Error(`HTTP ${res.statusCode} for frame ${i}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds used so far by a process (Linux /proc; undefined elsewhere). */
function procCpu(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const median = (xs: number[]) =>
  xs.length === 0 ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  let server: RedisServerProcess | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    server = await RedisServerProcess.start();
    url = server.url;
  }
  const prefix = `bench-${process.pid}`;
  const keys = new StreamKeys(prefix);
  const redisConfig = { ...REDIS_DEFAULTS, url, prefix };
  const raw = new Redis(url);
  const producerConn = createRedis(redisConfig, 'producer', { name: 'bench' });
  await waitReady(producerConn, 5000);
  const backpressure = {
    ...INGEST_DEFAULTS.backpressure,
    maxBacklog: 100_000_000,
    memoryBudgetBytes: 1024 ** 4,
  };
  const producer = new FrameProducer(producerConn, keys, backpressure);
  const img = await frameOfSize(SIZE);

  const port = await freePort();
  const bin =
    process.env.BENCH_INGEST_BIN || fileURLToPath(new URL('../bin/platestream.js', import.meta.url));
  const nodeArgs = values['ingest-node-args'] ? values['ingest-node-args'].split(' ') : [];
  const ingest: ChildProcess = spawn(process.execPath, [...nodeArgs, bin, 'ingest'], {
    env: {
      ...process.env,
      REDIS_URL: url,
      LPR_PREFIX: prefix,
      LPR_INGEST_HOST: '127.0.0.1',
      LPR_INGEST_PORT: String(port),
      LPR_CAMERA_TOKENS: `${TOKEN}=*`,
      LPR_MAX_BACKLOG: '100000000',
      LPR_STREAM_MEMORY_BUDGET: '1024GB',
      LOG_LEVEL: 'warn',
      LPR_INGEST_PROCESSES: values['ingest-processes'],
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
  try {
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      { timeoutMs: 30_000, what: 'the ingest process to answer /healthz' },
    );
    const modes = {
      raw: (i: number) =>
        raw
          .xadd(
            keys.frames,
            '*',
            ...encodeFrame({ camera: `bench-${i % 8}`, ts: Date.now(), mime: 'image/jpeg', img, seq: i }),
          )
          .then(() => undefined),
      xadd: async (i: number) => {
        const frame = { camera: `bench-${i % 8}`, ts: Date.now(), mime: 'image/jpeg' as const, img, seq: i };
        inspectImage(frame.img, frame.mime, INGEST_DEFAULTS.maxPixels, 'bench');
        await producer.add(frame);
      },
      http:
        values['http-client'] === 'undici'
          ? async (i: number) => {
              const res = await pool.request({
                method: 'POST',
                path: `/v1/cameras/bench-${i % 8}/frames?seq=${i}`,
                headers: {
                  'content-type': 'image/jpeg',
                  'content-length': String(img.length),
                  authorization: `Bearer ${TOKEN}`,
                },
                body: img,
              });
              await res.body.dump();
              if (res.statusCode !== 202) throw new Error(`HTTP ${res.statusCode} for frame ${i}`);
            }
          : (i: number) => post(agent, port, img, i),
    };
    const results: Record<Mode, number[]> = { raw: [], xadd: [], http: [] };
    type CpuRuns = { client: number[]; ingest: number[]; redis: number[] };
    const cpuRuns = (): CpuRuns => ({ client: [], ingest: [], redis: [] });
    const cpu: Record<Mode, CpuRuns> = { raw: cpuRuns(), xadd: cpuRuns(), http: cpuRuns() };
    log(
      `bench:ingest  ${FRAMES} frames of ${SIZE} bytes per mode and round, ${CONCURRENCY} in flight, ${ROUNDS} rounds after ${WARMUP} warm-up frames per mode, HTTP client ${values['http-client']}, redis ${server ? 'private redis-server' : url}`,
    );
    const selected = MODES.filter((m) => SELECTED.includes(m));
    for (const name of selected) {
      await timed(WARMUP, CONCURRENCY, modes[name]); // warm-up: JIT, sockets, script cache, Redis allocator
      await raw.del(keys.frames);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? selected : [...selected].reverse();
      for (const name of order) {
        const before = { client: selfCpu(), ingest: procCpu(ingest.pid), redis: await redisCpu(raw) };
        const fps = await timed(FRAMES, CONCURRENCY, modes[name]);
        const after = { client: selfCpu(), ingest: procCpu(ingest.pid), redis: await redisCpu(raw) };
        const perFrame = (a: number | undefined, b: number | undefined) =>
          a === undefined || b === undefined ? Number.NaN : ((a - b) * 1e6) / FRAMES;
        cpu[name].client.push(perFrame(after.client, before.client));
        // With several ingest processes only the supervising primary's CPU would be read: leave it out.
        cpu[name].ingest.push(
          values['ingest-processes'] === '1' ? perFrame(after.ingest, before.ingest) : Number.NaN,
        );
        cpu[name].redis.push(perFrame(after.redis, before.redis));
        const len = await raw.xlen(keys.frames);
        if (len !== FRAMES)
          throw new Error(`${name}: expected ${FRAMES} entries in the stream, found ${len}`);
        await raw.del(keys.frames);
        results[name].push(fps);
        log(`  round ${round + 1}  ${name.padEnd(5)} ${fps.toFixed(0).padStart(7)} frames/s`);
      }
    }
    const rawFps = median(results.raw);
    const xaddFps = median(results.xadd);
    const httpFps = median(results.http);
    /** Per-round ratios to the raw loop of the same round; NaN when the mode was not run. */
    const ratios = (m: Mode) => results[m].map((fps, r) => fps / results.raw[r]!);
    const httpRatio = selected.includes('http') ? median(ratios('http')) : Number.NaN;
    const xaddRatio = selected.includes('xadd') ? median(ratios('xadd')) : Number.NaN;
    const mbs = (fps: number) => (fps * SIZE) / 1e6;
    const out = {
      httpFps: Math.round(httpFps),
      xaddFps: Math.round(xaddFps),
      rawFps: Math.round(rawFps),
      httpRatio: Number(httpRatio.toFixed(3)),
      xaddRatio: Number(xaddRatio.toFixed(3)),
      httpMBps: Number(mbs(httpFps).toFixed(1)),
      xaddMBps: Number(mbs(xaddFps).toFixed(1)),
      rawMBps: Number(mbs(rawFps).toFixed(1)),
      frameBytes: SIZE,
      frames: FRAMES,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      warmup: WARMUP,
      httpClient: values['http-client'],
      runs: results,
      roundRatios: {
        http: ratios('http').map((r) => Number(r.toFixed(3))),
        xadd: ratios('xadd').map((r) => Number(r.toFixed(3))),
      },
      /** Median CPU microseconds per frame in each process (load-independent cost; ingest only for http). */
      cpuUsPerFrame: Object.fromEntries(
        Object.entries(cpu).map(([m, c]) => [
          m,
          {
            client: Math.round(median(c.client)),
            ingest: m === 'http' ? Math.round(median(c.ingest)) : 0,
            redis: Math.round(median(c.redis)),
          },
        ]),
      ),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      const row = (name: string, fps: number, ratio: string) =>
        `  ${name.padEnd(22)} ${fps.toFixed(0).padStart(8)} frames/s ${mbs(fps).toFixed(1).padStart(8)} MB/s   ${ratio}`;
      process.stdout.write(
        [
          `median of ${ROUNDS} rounds (${FRAMES} frames x ${SIZE} bytes, ${CONCURRENCY} in flight; ratio = median of per-round ratios):`,
          row('raw ioredis XADD', rawFps, '1.00 (baseline)'),
          ...(selected.includes('xadd')
            ? [row('FrameProducer.add', xaddFps, `${out.xaddRatio.toFixed(2)} of raw`)]
            : []),
          ...(selected.includes('http')
            ? [row('HTTP POST (ingest)', httpFps, `${out.httpRatio.toFixed(2)} of raw (target >= 0.50)`)]
            : []),
          'CPU per frame (median, microseconds):',
          ...Object.entries(out.cpuUsPerFrame)
            .filter(([m]) => selected.includes(m as Mode))
            .map(
              ([m, c]) =>
                `  ${m.padEnd(5)} bench process ${String(c.client).padStart(5)}   ingest process ${String(c.ingest).padStart(5)}   redis-server ${String(c.redis).padStart(5)}`,
            ),
        ].join('\n') + '\n',
      );
    }
  } finally {
    agent.destroy();
    await pool.destroy();
    ingest.kill('SIGTERM');
    await new Promise((r) => ingest.once('exit', r));
    if (!values.json) {
      const cpu = process.cpuUsage();
      log(`bench process CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
    }
    await raw.del(keys.frames, keys.counters).catch(() => undefined);
    raw.disconnect();
    await closeRedis(producerConn);
    await server?.destroy();
  }
}

await main();
