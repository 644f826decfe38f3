/**
 * `npm run demo`: the whole pipeline on one machine in one command.
 * Redis (REDIS_URL, else a private redis-server) → ingest (HTTP, open auth) → N workers (ONNX) → results →
 * the events stage → events. Sends short synthetic vehicle passes rendered on the fly (each camera sees
 * vehicles drive through its view over several frames), prints each frame as it is read and one line per
 * vehicle event, then a summary, and stops everything cleanly. `--cluster` runs it on a local Redis Cluster
 * (3 masters + 3 replicas, LPR_PARTITIONS=3) that it starts and stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HttpSink } from '../ingest/replay/sinks.ts';
import { renderSequences, type SequenceOptions, type TruthFrame } from '../models/synthetic/sequences.ts';
import { decodeEvent, type EventRecord } from '../shared/codec/event-codec.ts';
import { latencyMs } from '../results/format.ts';
import { decodeResult, type ResultRecord } from '../shared/codec/result-codec.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { EVENTS_GROUP } from '../shared/redis/keys.ts';
import { canStartLocalCluster, LocalRedisCluster } from '../shared/redis/local-redis-cluster.ts';
import { RedisServerProcess, redisServerBinary } from '../shared/redis/local-redis-server.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { BlockingReader, entryFields, tailStreams } from '../shared/redis/stream/index.ts';
import { freePort } from '../shared/util/free-port.ts';
import { percentile } from '../shared/util/percentile.ts';
import { delay, waitFor } from '../shared/util/wait.ts';

const BIN = fileURLToPath(new URL('../bin/platestream.js', import.meta.url));

/** Partitions of the demo on a cluster (one per master of the local cluster). */
const CLUSTER_PARTITIONS = 3;

const HELP = `usage: npm run demo [-- --vehicles 4 --workers 2 --cameras 2 --fps 8 --timeout 90 --cluster]
Starts ingest, workers and the events stage against REDIS_URL (or a private redis-server), sends synthetic
vehicle passes (6-9 frames per vehicle, empty frames between them) from each camera, prints every frame
read (plate, truth, confidence, latency) and one line per vehicle event (voted plate, truth, frames,
direction), then a summary. --fps counts frames over all cameras. --cluster starts a local Redis Cluster
(3 masters + 3 replicas from redis-server and redis-cli) instead, runs the pipeline on it with
LPR_PARTITIONS=${CLUSTER_PARTITIONS}, and stops it at the end.`;

const NO_CLUSTER = `demo --cluster starts a local Redis Cluster and needs redis-server and redis-cli. Get them with:
  Debian/Ubuntu:  sudo apt-get install redis-server redis-tools
  macOS:          brew install redis
then run "npm run demo -- --cluster" again.`;

const NO_REDIS = `The demo needs Redis 7 and found neither REDIS_URL nor a redis-server binary. Get one with:
  Debian/Ubuntu:  sudo apt-get install redis-server
  macOS:          brew install redis
  Docker:         docker run -d -p 6379:6379 redis:7 && export REDIS_URL=redis://127.0.0.1:6379
then run "npm run demo" again.`;

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

interface DemoOptions {
  /** Vehicle passes in all (spread over the cameras). */
  vehicles: number;
  workers: number;
  cameras: number;
  /** Frames per second over all cameras; 0 = as fast as ingest accepts. */
  fps: number;
  timeoutS: number;
  /** Run on a local Redis Cluster the demo starts and stops. */
  cluster: boolean;
}

/** The demo's options, or the exit code when it should stop at once (help, or a bad value). */
function parseOptions(argv: string[]): DemoOptions | number {
  const { values } = parseArgs({
    args: argv,
    options: {
      vehicles: { type: 'string', default: '4' },
      workers: { type: 'string', default: '2' },
      cameras: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '90' },
      fps: { type: 'string', default: '8' },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const o: DemoOptions = {
    vehicles: Number(values.vehicles),
    workers: Number(values.workers),
    cameras: Number(values.cameras),
    fps: Number(values.fps),
    timeoutS: Number(values.timeout),
    cluster: values.cluster === true,
  };
  for (const [name, v, min] of [
    ['vehicles', o.vehicles, 1],
    ['workers', o.workers, 1],
    ['cameras', o.cameras, 1],
    ['fps', o.fps, 0],
    ['timeout', o.timeoutS, 5],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      console.error(`demo: --${name} must be an integer >= ${min}\n${HELP}`);
      return 2;
    }
  }
  return o;
}

/** What the demo started and stops at the end: a private redis-server or a local cluster. */
interface OwnRedis {
  destroy(): Promise<void>;
}

/**
 * REDIS_URL, else a private redis-server; with --cluster a local Redis Cluster (undefined when there is
 * no way to get the Redis asked for).
 */
async function openRedis(cluster: boolean): Promise<{ url: string; server?: OwnRedis } | undefined> {
  if (cluster) {
    if (!canStartLocalCluster()) return undefined;
    const c = await LocalRedisCluster.start();
    console.log(`demo: started a local Redis Cluster (3 masters + 3 replicas) on ${c.nodeList}`);
    return { url: c.url, server: c };
  }
  const url = process.env.REDIS_URL;
  if (url) {
    console.log(`demo: using REDIS_URL=${url.replace(/\/\/[^@]*@/, '//***@')}`);
    return { url };
  }
  if (!redisServerBinary()) return undefined;
  const server = await RedisServerProcess.start({});
  console.log(`demo: started a private redis-server on ${server.url}`);
  return { url: server.url, server };
}

/** The ingest and worker processes, each logging to its own file in `logDir`. */
class Processes {
  readonly list: Child[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly logDir: string,
  ) {}

  start(name: string, args: string[], extra: Record<string, string>): Child {
    const log = createWriteStream(join(this.logDir, `${name}.log`));
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: { ...this.env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const child = { name, proc, exited };
    this.list.push(child);
    return child;
  }

  /** Rejects as soon as any process exits (during start-up that is always a failure). */
  anyExit(): Promise<never> {
    return Promise.race(
      this.list.map((c) =>
        c.exited.then((code): never => {
          throw new Error(
            `${c.name} exited with code ${code} during start-up; see ${join(this.logDir, `${c.name}.log`)}`,
          );
        }),
      ),
    );
  }

  /** SIGTERM to all, SIGKILL after 20 s; true when every process exited cleanly. */
  async stop(): Promise<boolean> {
    for (const c of this.list) c.proc.kill('SIGTERM');
    const codes = await Promise.race([
      Promise.all(this.list.map((c) => c.exited)),
      delay(20_000).then(() => undefined),
    ]);
    if (!codes) {
      for (const c of this.list) c.proc.kill('SIGKILL');
      console.error('demo: processes did not stop within 20 s and were killed');
      return false;
    }
    const bad = this.list.filter((_, i) => codes[i] !== 0 && codes[i] !== null);
    if (bad.length)
      console.error(`demo: ${bad.map((c) => c.name).join(', ')} exited with an error; see ${this.logDir}`);
    return bad.length === 0;
  }
}

/** Starts ingest (open auth) and the workers; returns ingest's URL once every process answers ready. */
async function startPipeline(
  procs: Processes,
  o: DemoOptions,
  deadline: number,
  ready: Promise<unknown>,
): Promise<string> {
  const ingestPort = await freePort();
  procs.start('ingest', ['ingest'], {
    LPR_AUTH: 'open',
    LPR_INGEST_HOST: '127.0.0.1',
    LPR_INGEST_PORT: String(ingestPort),
  });
  const workerPorts: number[] = [];
  for (let i = 1; i <= o.workers; i++) {
    const port = await freePort();
    workerPorts.push(port);
    procs.start(`worker-${i}`, ['worker'], {
      WORKER_CONSUMER: `demo-worker-${i}`,
      WORKER_HTTP_PORT: String(port),
      WORKER_HTTP_HOST: '127.0.0.1',
    });
  }
  const eventsPort = await freePort();
  procs.start('events', ['events'], {
    EVENTS_CONSUMER: 'demo-events',
    EVENTS_HTTP_PORT: String(eventsPort),
    EVENTS_HTTP_HOST: '127.0.0.1',
    // The demo's cameras stop after a few seconds: close their last passes 2 s after the last result
    // instead of the production 5 s.
    EVENTS_IDLE_FLUSH_MS: '2000',
  });
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  await Promise.race([
    Promise.all([
      waitFor(() => ok(`${ingestUrl}/healthz`), {
        timeoutMs: deadline - Date.now(),
        what: 'ingest to start',
      }),
      waitFor(() => ok(`http://127.0.0.1:${eventsPort}/readyz`), {
        timeoutMs: deadline - Date.now(),
        intervalMs: 100,
        what: 'the events stage to start',
      }),
      ...workerPorts.map((p, i) =>
        waitFor(() => ok(`http://127.0.0.1:${p}/readyz`), {
          timeoutMs: deadline - Date.now(),
          intervalMs: 100,
          what: `worker-${i + 1} to load its models`,
        }),
      ),
      ready,
    ]),
    procs.anyExit(),
  ]);
  return ingestUrl;
}

/** One frame to send: its image and what it shows. */
interface DemoFrame {
  truth: TruthFrame;
  img: Buffer;
}

/** The demo's vehicle passes, rendered in memory: 6-9 frames per vehicle, the same on every machine. */
async function demoSequences(o: DemoOptions): Promise<DemoFrame[]> {
  const opts: SequenceOptions = {
    sequences: o.vehicles,
    seed: 'platestream-demo',
    cameras: o.cameras,
    framesPerPass: [6, 9],
  };
  const frames: DemoFrame[] = [];
  for await (const { frame, scene } of renderSequences(opts)) frames.push({ truth: frame, img: scene.image });
  // Send in timeline order: every camera's first frame, then every camera's second, ...
  return frames.sort((a, b) => a.truth.index - b.truth.index || (a.truth.camera < b.truth.camera ? -1 : 1));
}

/**
 * Prints each result beside what its frame shows, and each event beside the vehicle most of its reads
 * came from. A result or event can arrive before the 202 of its frames has been handled here: it waits
 * until their truth is known.
 */
class Board {
  /** Frames stream id → what the frame shows. */
  readonly truth = new Map<string, TruthFrame>();
  readonly latencies: number[] = [];
  private readonly early = new Map<string, ResultRecord>();
  private readonly earlyEvents: EventRecord[] = [];
  /** Vehicle passes sent (pass index → true plate). */
  readonly vehicles = new Map<number, string>();
  printed = 0;
  correct = 0;
  events = 0;
  eventsExact = 0;
  private sentAll = false;

  constructor(private readonly framesDone: () => void) {}

  /** A result from the stream. */
  result(r: ResultRecord): void {
    const expected = this.truth.get(r.frame);
    if (expected === undefined) this.early.set(r.frame, r);
    else this.print(r, expected);
  }

  /** An event from the events stream. */
  event(e: EventRecord): void {
    if (e.results.some((r) => !this.truth.has(r.frame))) this.earlyEvents.push(e);
    else this.printEvent(e);
  }

  /** A frame ingest accepted, with what it shows. */
  accepted(id: string, truth: TruthFrame): void {
    this.truth.set(id, truth);
    if (truth.pass >= 0 && truth.plate) this.vehicles.set(truth.pass, truth.plate);
    const r = this.early.get(id);
    if (r) {
      this.early.delete(id);
      this.print(r, truth);
    }
    for (const e of [...this.earlyEvents]) {
      if (e.results.every((x) => this.truth.has(x.frame))) {
        this.earlyEvents.splice(this.earlyEvents.indexOf(e), 1);
        this.printEvent(e);
      }
    }
  }

  allSent(): void {
    this.sentAll = true;
    if (this.printed === this.truth.size) this.framesDone();
  }

  private print(r: ResultRecord, t: TruthFrame): void {
    const hit = r.plate === t.plate;
    if (hit) this.correct++;
    const lat = latencyMs(r) ?? 0;
    this.latencies.push(lat);
    this.printed++;
    const expected = t.plate || '(none)';
    console.log(
      `${hit ? '✓' : '✗'}  ${r.camera.padEnd(8)} ${(r.plate || '(none)').padEnd(10)} ${expected.padEnd(10)} ${(r.confidence * 100).toFixed(1).padStart(5)}%  ${String(lat).padStart(5)} ms`,
    );
    if (this.sentAll && this.printed === this.truth.size) this.framesDone();
  }

  private printEvent(e: EventRecord): void {
    const votes = new Map<number, number>();
    for (const r of e.results) {
      const pass = this.truth.get(r.frame)?.pass ?? -1;
      if (pass >= 0) votes.set(pass, (votes.get(pass) ?? 0) + 1);
    }
    const pass = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
    const expected = pass === undefined ? '(no vehicle)' : (this.vehicles.get(pass) ?? '?');
    const hit = e.plate === expected;
    this.events++;
    if (hit) this.eventsExact++;
    console.log(
      `${hit ? '✓' : '✗'}  vehicle  ${e.camera.padEnd(8)} ${e.plate.padEnd(10)} ${expected.padEnd(10)} ${(e.confidence * 100).toFixed(1).padStart(5)}%  ${String(e.frames).padStart(2)} frames  ${e.direction || '-'}`,
    );
  }
}

/** Sends the frames in timeline order, paced like cameras would, honouring 503 retry hints. */
async function sendFrames(
  ingestUrl: string,
  items: readonly DemoFrame[],
  o: DemoOptions,
  board: Board,
  signal: AbortSignal,
): Promise<void> {
  const sink = new HttpSink(ingestUrl);
  const sendStart = Date.now();
  try {
    for (const [i, item] of items.entries()) {
      if (o.fps > 0) await delay(sendStart + (i * 1000) / o.fps - Date.now());
      const camera = item.truth.camera;
      for (;;) {
        const out = await sink.send({ camera, ts: Date.now(), mime: 'image/jpeg', img: item.img, seq: i });
        if (out.kind === 'accepted') {
          board.accepted(out.id, item.truth);
          break;
        }
        if (out.kind === 'rejected') throw new Error(`ingest rejected demo frame ${i}: ${out.message}`);
        if (signal.aborted) throw new Error(`gave up sending frame ${i}: ${out.reason} until the deadline`);
        await delay(out.retryAfterMs, signal);
      }
    }
  } finally {
    await sink.close();
  }
  board.allSent();
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (typeof o === 'number') return o;
  const deadline = Date.now() + o.timeoutS * 1000;
  const started = Date.now();

  const redis = await openRedis(o.cluster);
  if (!redis) {
    console.error(o.cluster ? NO_CLUSTER : NO_REDIS);
    return 1;
  }
  const { url, server } = redis;
  const prefix = process.env.LPR_PREFIX ?? `demo-${Date.now().toString(36)}`;
  const partitions = o.cluster ? CLUSTER_PARTITIONS : 1;
  const config = { ...REDIS_DEFAULTS, url, prefix, partitions };
  const parts = partitionsOf(config);
  const keys = parts.all[0]!;
  const procs = new Processes(
    {
      ...process.env,
      REDIS_URL: url,
      LPR_PREFIX: prefix,
      LPR_PARTITIONS: String(partitions),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    mkdtempSync(join(tmpdir(), 'platestream-demo-')),
  );
  // One reader per partition: an XREAD names streams of one hash slot on a cluster.
  const readers = parts.all.map(
    (_, p) => new BlockingReader(config, { name: `demo-${p}`, blockMs: 250, marginMs: 5000 }),
  );
  const admin = createRedis(config, 'producer', { name: 'demo' });
  let exitCode = 0;
  // Ends the stream reader, and the send loop's retries, at the deadline or on any failure.
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
  let board: Board | undefined;
  try {
    for (const reader of readers) await reader.waitReady(5000);
    console.log(`demo: key prefix "${prefix}", process logs in ${procs.logDir}`);
    const frames = demoSequences(o);
    const ingestUrl = await startPipeline(procs, o, deadline, frames);
    console.log(
      `demo: ingest on ${ingestUrl}, ${o.workers} workers and the events stage ready after ${Date.now() - started} ms`,
    );

    let framesDone = () => {};
    const allRead = new Promise<void>((resolve) => {
      framesDone = resolve;
    });
    board = new Board(framesDone);
    const b = board;
    const items = await frames;
    console.log(
      `demo: sending ${items.length} frames of ${o.vehicles} vehicles from ${o.cameras} cameras at ${o.fps || 'max'} fps\n`,
    );
    console.log('   camera   plate      truth      conf   latency');
    const reading = Promise.all(
      parts.all.map(async (k, p) => {
        for await (const entry of tailStreams(readers[p]!, {
          from: [
            { stream: k.results, after: '0-0' },
            { stream: k.events, after: '0-0' },
          ],
          follow: true,
          count: 500,
          signal: stop.signal,
        })) {
          if (entry.stream === k.events) b.event(decodeEvent(entry.id, entryFields(entry)));
          else b.result(decodeResult(entry.id, entryFields(entry)));
        }
      }),
    );
    await sendFrames(ingestUrl, items, o, b, stop.signal);
    await Promise.race([allRead, reading]);
    // Every frame is read; the events stage closes the last passes once their cameras go quiet.
    await waitFor(
      async () => {
        let written = 0;
        for (const k of parts.all) {
          const open = await admin.hlen(k.eventsState);
          const pending = (await admin.xpending(k.results, EVENTS_GROUP)) as [number];
          if (open !== 0 || Number(pending[0]) !== 0) return false;
          written += await admin.xlen(k.events);
        }
        return b.events >= written;
      },
      {
        timeoutMs: Math.max(1, deadline - Date.now()),
        intervalMs: 100,
        what: 'the events stage to close every pass',
      },
    );
    stop.abort();
    await reading;
    clearTimeout(timer);
    if (!summarise(b, started, procs.logDir)) exitCode = 1;
    console.log(
      server
        ? 'demo: the private Redis goes away with the demo; run it with REDIS_URL=redis://... to keep the results'
        : `demo: results and events stay in Redis under the prefix "${prefix}": LPR_PREFIX=${prefix} npx platestream events tail --from 0 --no-follow, or redis-cli XREVRANGE ${keys.results} + - COUNT 10`,
    );
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    if (board) summarise(board, started, procs.logDir);
    exitCode = 1;
  } finally {
    stop.abort();
    clearTimeout(timer);
    if (!(await procs.stop())) exitCode = 1;
    for (const reader of readers) await reader.close();
    await closeRedis(admin);
    if (server) await server.destroy();
    // The process logs are only worth keeping when something went wrong (the messages above point to them).
    if (exitCode === 0) rmSync(procs.logDir, { recursive: true, force: true });
    console.log(
      server
        ? `demo: stopped ingest, workers, the events stage and ${o.cluster ? 'the local Redis Cluster' : 'Redis'} cleanly`
        : 'demo: stopped ingest, workers and the events stage cleanly (your Redis keeps running)',
    );
  }
  return exitCode;
}

/** The closing lines; false when results are missing. */
function summarise(board: Board, started: number, logDir: string): boolean {
  const total = board.truth.size;
  const pct = (p: number) => percentile(board.latencies, p) || 0;
  console.log(
    `\ndemo: ${board.printed}/${total} frames have a result, ${board.correct} read exactly (${((100 * board.correct) / Math.max(1, total)).toFixed(1)}%), latency p50 ${pct(50)} ms, p95 ${pct(95)} ms, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(
    `demo: ${board.vehicles.size} vehicles, ${board.events} events, ${board.eventsExact} with the vehicle's true plate`,
  );
  if (board.printed < total) {
    console.log(`demo: timed out waiting for ${total - board.printed} results; see ${logDir}`);
    return false;
  }
  return true;
}

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

process.exitCode = await main();
