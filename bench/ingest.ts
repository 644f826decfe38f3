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
 *   npm run bench:ingest -- --modes raw,xadd,wait   # the cost of LPR_WAIT_REPLICAS=1 (docs/cluster.md)
 *
 * Mode `wait` is FrameProducer.add with LPR_WAIT_REPLICAS=1 (WAIT 1 after each frame): the private
 * redis-server then gets a replica (with REDIS_URL, the server must have one). Its figures: frames/s against
 * `xadd` in the same rounds (`waitVsXadd`), and the latency of one frame at a time (`latencyUs`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { Pool } from 'undici';
import { INGEST_DEFAULTS } from '../ingest/config.ts';
import { inspectImage } from '../ingest/image-header.ts';
import { FrameProducer } from '../ingest/producer.ts';

import { encodeFrame } from '../shared/codec/frame-codec.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import { freePort } from '../shared/util/free-port.ts';
import { median } from '../shared/util/percentile.ts';
import { waitFor } from '../shared/util/wait.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    json: { type: 'boolean', default: false },
    frames: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '7' },
    size: { type: 'string', default: String(100 * 1024) },
    'ingest-node-args': { type: 'string', default: '' },
    modes: { type: 'string', default: 'raw,relay,xadd,http' },
    'ingest-processes': { type: 'string', default: 'auto' },
    'ingest-bin': { type: 'string', default: '' },
    warmup: { type: 'string', default: '3000' },
    'http-client': { type: 'string', default: 'undici' },
  },
});
const FRAMES = Number(values.frames);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const SIZE = Number(values.size);
const WARMUP = Number(values.warmup);
const MODES = ['raw', 'relay', 'xadd', 'wait', 'http'] as const;
type Mode = (typeof MODES)[number];
const SELECTED = values.modes.split(',').map((m) => m.trim());
const CORES = availableParallelism();
/** `auto`: one core each for Redis and the load generator, the rest (1 to 4) for ingest processes. */
const INGEST_PROCESSES =
  values['ingest-processes'] === 'auto'
    ? Math.max(1, Math.min(4, CORES - 2))
    : Number(values['ingest-processes']);
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
  for (const m of SELECTED)
    if (!(MODES as readonly string[]).includes(m)) bad.push(`--modes: unknown mode "${m}"`);
  if (!SELECTED.includes('raw'))
    bad.push('--modes must include raw (the baseline every ratio is taken against)');
  if (process.env.REDIS_URL?.startsWith('rediss:') && SELECTED.includes('relay'))
    bad.push('relay mode forwards plain TCP and cannot carry rediss:// (TLS); use --modes raw,xadd,http');
  if (!['undici', 'node'].includes(values['http-client'])) bad.push('--http-client must be undici or node');
  if (!Number.isInteger(INGEST_PROCESSES) || INGEST_PROCESSES < 1)
    bad.push('--ingest-processes must be auto or a positive integer');
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
  if (jpeg.length > bytes) {
    process.stderr.write(`bench:ingest: --size must be at least ${jpeg.length} bytes (the test JPEG)\n`);
    process.exit(2);
  }
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

/** utime + stime in seconds and the parent pid of a process, from /proc (Linux); undefined elsewhere. */
function procStat(pid: number): { cpu: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[1] ppid; fields[11], fields[12] utime, stime in clock ticks (USER_HZ 100)
    return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by a process and all its descendants (the cluster's server processes). */
function procTreeCpu(root: number | undefined): number | undefined {
  if (root === undefined) return undefined;
  const rootStat = procStat(root);
  if (!rootStat) return undefined;
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), Number(name)]);
  }
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    total += pid === root ? rootStat.cpu : (procStat(pid)?.cpu ?? 0);
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
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

/** The `platestream ingest` process under test, with open-ended backpressure so only speed is measured. */
function startIngestProcess(url: string, prefix: string, port: number): ChildProcess {
  const bin = values['ingest-bin'] || fileURLToPath(new URL('../bin/platestream.js', import.meta.url));
  const nodeArgs = values['ingest-node-args'] ? values['ingest-node-args'].split(' ') : [];
  return spawn(process.execPath, [...nodeArgs, bin, 'ingest'], {
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
      LPR_INGEST_PROCESSES: String(INGEST_PROCESSES),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * The byte relay (tcp-relay.ts) in front of Redis and a client through it: the ceiling for any process in
 * the middle. It forwards bytes only, so REDIS_URL's user, password and db still apply end to end.
 */
async function startRelay(url: string): Promise<{ relay: ChildProcess; client: Redis }> {
  const relayPort = await freePort();
  const redisAddress = new URL(url);
  const relay = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./tcp-relay.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        REDIS_HOST: redisAddress.hostname,
        REDIS_PORT: redisAddress.port || '6379',
        RELAY_PORT: String(relayPort),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve, reject) => {
    relay.stdout?.once('data', resolve);
    relay.once('exit', (code) => reject(new Error(`the TCP relay exited with code ${code}`)));
  });
  const client = new Redis({
    host: '127.0.0.1',
    port: relayPort,
    username: redisAddress.username || undefined,
    password: decodeURIComponent(redisAddress.password) || undefined,
    db: Number(redisAddress.pathname.slice(1) || 0),
  });
  return { relay, client };
}

interface Clients {
  raw: Redis;
  viaRelay: Redis;
  producer: FrameProducer;
  /** FrameProducer with LPR_WAIT_REPLICAS=1, on its own connection (WAIT blocks the connection it runs on). */
  waitProducer: FrameProducer;
  agent: Agent;
  pool: Pool;
  port: number;
}

/** One operation per mode: send frame `i` that way. */
function modeOps(c: Clients, keys: StreamKeys, img: Buffer): Record<Mode, (i: number) => Promise<void>> {
  const rawXadd = (client: Redis) => (i: number) =>
    client
      .xadd(
        keys.frames,
        '*',
        ...encodeFrame({ camera: `bench-${i % 8}`, ts: Date.now(), mime: 'image/jpeg', img, seq: i }),
      )
      .then(() => undefined);
  const undiciPost = async (i: number) => {
    const res = await c.pool.request({
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
  };
  return {
    raw: rawXadd(c.raw),
    relay: rawXadd(c.viaRelay),
    xadd: async (i: number) => {
      const frame = { camera: `bench-${i % 8}`, ts: Date.now(), mime: 'image/jpeg' as const, img, seq: i };
      inspectImage(frame.img, frame.mime, INGEST_DEFAULTS.maxPixels, 'bench');
      await c.producer.add(frame);
    },
    wait: async (i: number) => {
      const frame = { camera: `bench-${i % 8}`, ts: Date.now(), mime: 'image/jpeg' as const, img, seq: i };
      inspectImage(frame.img, frame.mime, INGEST_DEFAULTS.maxPixels, 'bench');
      await c.waitProducer.add(frame);
    },
    http: values['http-client'] === 'undici' ? undiciPost : (i: number) => post(c.agent, c.port, img, i),
  };
}

/** CPU microseconds per frame: the bench process, the process in the middle (relay or ingest), Redis. */
type CpuRuns = { client: number[]; middle: number[]; redis: number[] };

interface Measured {
  /** frames/s per round. */
  fps: Record<Mode, number[]>;
  cpu: Record<Mode, CpuRuns>;
}

/**
 * Warm-up, then `ROUNDS` rounds timing every selected mode once, in ABBA order; checks that each run left
 * exactly `FRAMES` entries in the stream.
 */
async function measure(
  selected: readonly Mode[],
  ops: Record<Mode, (i: number) => Promise<void>>,
  raw: Redis,
  keys: StreamKeys,
  middleCpu: (m: Mode) => number | undefined,
): Promise<Measured> {
  const cpuRuns = (): CpuRuns => ({ client: [], middle: [], redis: [] });
  const m: Measured = {
    fps: { raw: [], relay: [], xadd: [], wait: [], http: [] },
    cpu: { raw: cpuRuns(), relay: cpuRuns(), xadd: cpuRuns(), wait: cpuRuns(), http: cpuRuns() },
  };
  for (const name of selected) {
    await timed(WARMUP, CONCURRENCY, ops[name]); // warm-up: JIT, sockets, script cache, Redis allocator
    await raw.del(keys.frames);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? selected : [...selected].reverse();
    for (const name of order) {
      const before = { client: selfCpu(), middle: middleCpu(name), redis: await redisCpu(raw) };
      const fps = await timed(FRAMES, CONCURRENCY, ops[name]);
      const after = { client: selfCpu(), middle: middleCpu(name), redis: await redisCpu(raw) };
      const perFrame = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? Number.NaN : ((a - b) * 1e6) / FRAMES;
      m.cpu[name].client.push(perFrame(after.client, before.client));
      m.cpu[name].middle.push(perFrame(after.middle, before.middle));
      m.cpu[name].redis.push(perFrame(after.redis, before.redis));
      const len = await raw.xlen(keys.frames);
      if (len !== FRAMES) throw new Error(`${name}: expected ${FRAMES} entries in the stream, found ${len}`);
      await raw.del(keys.frames);
      m.fps[name].push(fps);
      log(`  round ${round + 1}  ${name.padEnd(5)} ${fps.toFixed(0).padStart(7)} frames/s`);
    }
  }
  return m;
}

/**
 * Latency of one frame at a time (no concurrency), FrameProducer.add without and with WAIT 1: median
 * microseconds per frame over ROUNDS alternating blocks of FRAMES / 4 frames each.
 */
async function latencies(
  ops: Record<Mode, (i: number) => Promise<void>>,
  raw: Redis,
  keys: StreamKeys,
): Promise<{ xadd: number; wait: number }> {
  const per: { xadd: number[]; wait: number[] } = { xadd: [], wait: [] };
  const n = Math.max(50, Math.floor(FRAMES / 4));
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['xadd', 'wait'] as const) : (['wait', 'xadd'] as const)) {
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await ops[mode](i);
        per[mode].push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      await raw.del(keys.frames);
    }
  }
  return { xadd: Math.round(median(per.xadd)), wait: Math.round(median(per.wait)) };
}

/** The JSON summary: medians of frames/s, MB/s and CPU per frame, and ratios to the raw loop of each round. */
function summarise(selected: readonly Mode[], m: Measured) {
  const ratios = (mode: Mode) => m.fps[mode].map((fps, r) => fps / m.fps.raw[r]!);
  const fps = (mode: Mode) => Math.round(median(m.fps[mode]));
  const ratio = (mode: Mode) => (selected.includes(mode) ? Number(median(ratios(mode)).toFixed(3)) : null);
  const mbs = (mode: Mode) => Number(((median(m.fps[mode]) * SIZE) / 1e6).toFixed(1));
  return {
    httpFps: fps('http'),
    xaddFps: fps('xadd'),
    rawFps: fps('raw'),
    relayFps: fps('relay'),
    httpRatio: ratio('http'),
    xaddRatio: ratio('xadd'),
    waitFps: fps('wait'),
    waitRatio: ratio('wait'),
    /** LPR_WAIT_REPLICAS=1 against the same producer without it: median of the per-round ratios. */
    waitVsXadd:
      selected.includes('wait') && selected.includes('xadd')
        ? Number(median(m.fps.wait.map((f, r) => f / m.fps.xadd[r]!)).toFixed(3))
        : null,
    /** The ceiling for any process between clients and Redis on this machine (see tcp-relay.ts). */
    relayRatio: ratio('relay'),
    httpMBps: mbs('http'),
    xaddMBps: mbs('xadd'),
    waitMBps: mbs('wait'),
    rawMBps: mbs('raw'),
    relayMBps: mbs('relay'),
    frameBytes: SIZE,
    frames: FRAMES,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    warmup: WARMUP,
    cores: CORES,
    ingestProcesses: INGEST_PROCESSES,
    httpClient: values['http-client'],
    runs: Object.fromEntries(selected.map((mode) => [mode, m.fps[mode].map(Math.round)])),
    roundRatios: Object.fromEntries(
      selected
        .filter((mode) => mode !== 'raw')
        .map((mode) => [mode, ratios(mode).map((r) => Number(r.toFixed(3)))]),
    ),
    /** Median CPU microseconds per frame in each process: client = bench process, middle = relay or ingest. */
    cpuUsPerFrame: Object.fromEntries(
      selected.map((mode) => [
        mode,
        {
          client: Math.round(median(m.cpu[mode].client)),
          middle: Math.round(median(m.cpu[mode].middle)),
          redis: Math.round(median(m.cpu[mode].redis)),
        },
      ]),
    ) as Record<string, { client: number; middle: number; redis: number }>,
  };
}

/** The human-readable table. */
function table(selected: readonly Mode[], out: ReturnType<typeof summarise>): string {
  const label: Record<Mode, string> = {
    raw: 'raw ioredis XADD',
    relay: 'XADD via TCP relay',
    xadd: 'FrameProducer.add',
    wait: 'add + WAIT 1 replica',
    http: 'HTTP POST (ingest)',
  };
  const note: Record<Mode, string> = {
    raw: '1.00 (baseline)',
    relay: `${out.relayRatio?.toFixed(2)} of raw (ceiling for any process in the middle)`,
    xadd: `${out.xaddRatio?.toFixed(2)} of raw`,
    wait: `${out.waitRatio?.toFixed(2)} of raw, ${out.waitVsXadd?.toFixed(2)} of FrameProducer.add`,
    http: `${out.httpRatio?.toFixed(2)} of raw (target >= 0.50)`,
  };
  const fps = (m: Mode) => out[`${m}Fps`];
  const mbs = (m: Mode) => out[`${m}MBps`];
  const cpuOf = (m: Mode) => out.cpuUsPerFrame[m]!;
  return `${[
    `median of ${ROUNDS} rounds (${FRAMES} frames x ${SIZE} bytes, ${CONCURRENCY} in flight, ${CORES} cores, ${INGEST_PROCESSES} ingest process(es); ratio = median of per-round ratios):`,
    ...selected.map(
      (m) =>
        `  ${label[m].padEnd(22)} ${String(fps(m)).padStart(8)} frames/s ${mbs(m).toFixed(1).padStart(8)} MB/s   ${note[m]}`,
    ),
    'CPU per frame (median, microseconds):',
    ...selected.map(
      (m) =>
        `  ${m.padEnd(5)} bench process ${String(cpuOf(m).client).padStart(5)}   ${m === 'relay' ? 'relay ' : 'ingest'} process ${String(m === 'relay' || m === 'http' ? cpuOf(m).middle : '-').padStart(5)}   redis-server ${String(cpuOf(m).redis).padStart(5)}`,
    ),
  ].join('\n')}\n`;
}

async function main(): Promise<void> {
  const img = await frameOfSize(SIZE);
  let server: RedisServerProcess | undefined;
  let replica: RedisServerProcess | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    server = await RedisServerProcess.start({ args: ['--repl-diskless-sync-delay', '0'] });
    url = server.url;
    if (SELECTED.includes('wait')) {
      // Mode `wait` needs a replica to confirm: one more private redis-server, replicating the first.
      replica = await RedisServerProcess.start({ args: ['--replicaof', '127.0.0.1', String(server.port)] });
      const r = new Redis(replica.url);
      await waitFor(async () => /master_link_status:up/.test(await r.info('replication')), {
        timeoutMs: 30_000,
        what: 'the replica to sync',
      });
      r.disconnect();
    }
  }
  const prefix = `bench-${process.pid}`;
  const keys = new StreamKeys(prefix);
  const redisConfig = { ...REDIS_DEFAULTS, url, prefix };
  const raw = new Redis(url);
  const producerConn = createRedis(redisConfig, 'producer', { name: 'bench' });
  const waitConn = createRedis(redisConfig, 'producer', { name: 'bench-wait' });
  await waitReady(producerConn, 5000);
  await waitReady(waitConn, 5000);
  const backpressure = {
    ...INGEST_DEFAULTS.backpressure,
    maxBacklog: 100_000_000,
    memoryBudgetBytes: 1024 ** 4,
  };
  const port = await freePort();
  const ingest = startIngestProcess(url, prefix, port);
  const { relay, client: viaRelay } = await startRelay(url);
  const clients: Clients = {
    raw,
    viaRelay,
    producer: new FrameProducer(producerConn, keys, backpressure),
    waitProducer: new FrameProducer(waitConn, keys, {
      ...backpressure,
      waitReplicas: 1,
      waitTimeoutMs: 1000,
    }),
    agent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }),
    pool: new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY }),
    port,
  };
  try {
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      { timeoutMs: 30_000, what: 'the ingest process to answer /healthz' },
    );
    log(
      `bench:ingest  ${FRAMES} frames of ${SIZE} bytes per mode and round, ${CONCURRENCY} in flight, ${ROUNDS} rounds after ${WARMUP} warm-up frames per mode, ${CORES} cores, ${INGEST_PROCESSES} ingest process(es), HTTP client ${values['http-client']}, redis ${server ? 'private redis-server' : url}`,
    );
    const selected = MODES.filter((m) => SELECTED.includes(m));
    const middleCpu = (m: Mode) =>
      m === 'http' ? procTreeCpu(ingest.pid) : m === 'relay' ? procTreeCpu(relay.pid) : 0;
    const measured = await measure(selected, modeOps(clients, keys, img), raw, keys, middleCpu);
    const ops = modeOps(clients, keys, img);
    const out = {
      ...summarise(selected, measured),
      latencyUs: selected.includes('wait') ? await latencies(ops, raw, keys) : null,
    };
    process.stdout.write(values.json ? `${JSON.stringify(out)}\n` : table(selected, out));
    if (!values.json && out.latencyUs)
      process.stdout.write(
        `one frame at a time (median microseconds): FrameProducer.add ${out.latencyUs.xadd}, with WAIT 1 replica ${out.latencyUs.wait}\n`,
      );
  } finally {
    clients.agent.destroy();
    await clients.pool.destroy();
    viaRelay.disconnect();
    relay.kill('SIGTERM');
    ingest.kill('SIGTERM');
    await new Promise((r) => ingest.once('exit', r));
    if (!values.json) {
      const cpu = process.cpuUsage();
      log(`bench process CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
    }
    await raw.del(keys.frames, keys.counters).catch(() => undefined);
    raw.disconnect();
    await closeRedis(producerConn);
    await closeRedis(waitConn);
    await replica?.destroy();
    await server?.destroy();
  }
}

await main();
