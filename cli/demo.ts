/**
 * `npm run demo`: the whole pipeline on one machine in one command.
 * Redis (REDIS_URL, else a private redis-server) → ingest (HTTP, open auth) → N workers (ONNX) → results.
 * Sends synthetic plate frames rendered on the fly, prints each plate as it is read, then a summary,
 * and stops everything cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HttpSink } from '../ingest/replay/sinks.ts';
import { demoFrames } from '../models/synthetic/demo-set.ts';
import { latencyMs } from '../results/format.ts';
import type { ResultRecord } from '../shared/codec/result-codec.ts';
import { readResults } from '../results/result-reader.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { BlockingReader } from '../shared/redis/stream/index.ts';
import { RedisServerProcess, redisServerBinary } from '../shared/redis/local-redis-server.ts';
import { freePort } from '../shared/util/free-port.ts';
import { percentile } from '../shared/util/percentile.ts';
import { delay, waitFor } from '../shared/util/wait.ts';

const BIN = fileURLToPath(new URL('../bin/platestream.js', import.meta.url));

const HELP = `usage: npm run demo [-- --frames 24 --workers 2 --cameras 2 --fps 8 --timeout 90]
Starts ingest and workers against REDIS_URL (or a private redis-server), sends synthetic plate frames,
prints every plate read with camera, confidence and latency, then a summary.`;

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

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      frames: { type: 'string', default: '24' },
      workers: { type: 'string', default: '2' },
      cameras: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '90' },
      fps: { type: 'string', default: '8' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const frameCount = Number(values.frames);
  const workerCount = Number(values.workers);
  const cameraCount = Number(values.cameras);
  const fps = Number(values.fps);
  for (const [name, v, min] of [
    ['frames', frameCount, 1],
    ['workers', workerCount, 1],
    ['cameras', cameraCount, 1],
    ['fps', fps, 0],
    ['timeout', Number(values.timeout), 5],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      console.error(`demo: --${name} must be an integer >= ${min}\n${HELP}`);
      return 2;
    }
  }
  const deadline = Date.now() + Number(values.timeout) * 1000;
  const started = Date.now();

  let server: RedisServerProcess | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    if (!redisServerBinary()) {
      console.error(NO_REDIS);
      return 1;
    }
    server = await RedisServerProcess.start({});
    url = server.url;
    console.log(`demo: started a private redis-server on ${url}`);
  } else {
    console.log(`demo: using REDIS_URL=${url.replace(/\/\/[^@]*@/, '//***@')}`);
  }
  const prefix = process.env.LPR_PREFIX ?? `demo-${Date.now().toString(36)}`;
  const keys = new StreamKeys(prefix);
  const logDir = mkdtempSync(join(tmpdir(), 'platestream-demo-'));
  const ingestPort = await freePort();
  const env = {
    ...process.env,
    REDIS_URL: url,
    LPR_PREFIX: prefix,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };

  const children: Child[] = [];
  const start = (name: string, args: string[], extra: Record<string, string>): Child => {
    const log = createWriteStream(join(logDir, `${name}.log`));
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const child = { name, proc, exited };
    children.push(child);
    return child;
  };

  const reader = new BlockingReader(
    { ...REDIS_DEFAULTS, url, prefix },
    { name: 'demo', blockMs: 250, marginMs: 5000 },
  );
  let exitCode = 0;
  // Ends the result reader, and the send loop's retries, at the deadline or on any failure.
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
  try {
    await reader.waitReady(5000);
    console.log(`demo: key prefix "${prefix}", process logs in ${logDir}`);
    start('ingest', ['ingest'], {
      LPR_AUTH: 'open',
      LPR_INGEST_HOST: '127.0.0.1',
      LPR_INGEST_PORT: String(ingestPort),
    });
    const workerPorts: number[] = [];
    for (let i = 1; i <= workerCount; i++) {
      const port = await freePort();
      workerPorts.push(port);
      start(`worker-${i}`, ['worker'], {
        WORKER_CONSUMER: `demo-worker-${i}`,
        WORKER_HTTP_PORT: String(port),
        WORKER_HTTP_HOST: '127.0.0.1',
      });
    }
    const ingestUrl = `http://127.0.0.1:${ingestPort}`;
    const failFast = (c: Child) =>
      c.exited.then((code) => {
        throw new Error(
          `${c.name} exited with code ${code} during start-up; see ${join(logDir, `${c.name}.log`)}`,
        );
      });
    const frames = demoFrames({ count: frameCount });
    await Promise.race([
      Promise.all([
        waitFor(() => ok(`${ingestUrl}/healthz`), {
          timeoutMs: deadline - Date.now(),
          what: 'ingest to start',
        }),
        ...workerPorts.map((p, i) =>
          waitFor(() => ok(`http://127.0.0.1:${p}/readyz`), {
            timeoutMs: deadline - Date.now(),
            intervalMs: 100,
            what: `worker-${i + 1} to load its models`,
          }),
        ),
        frames,
      ]),
      ...children.map(failFast),
    ]);
    console.log(
      `demo: ingest on ${ingestUrl}, ${workerCount} workers ready after ${Date.now() - started} ms`,
    );

    // Send the synthetic frames, round-robin over the cameras, while printing results as they arrive. A result
    // can arrive before its 202 has been handled here: it waits in `early` until its frame's truth is known.
    const truth = new Map<string, string>();
    const early = new Map<string, ResultRecord>();
    const latencies: number[] = [];
    let printed = 0;
    let correct = 0;
    let sentAll = false;
    const print = (r: ResultRecord, expected: string) => {
      const hit = r.plate === expected;
      if (hit) correct++;
      const lat = latencyMs(r) ?? 0;
      latencies.push(lat);
      printed++;
      console.log(
        `${hit ? '✓' : '✗'}  ${r.camera.padEnd(8)} ${(r.plate || '(none)').padEnd(10)} ${expected.padEnd(10)} ${(r.confidence * 100).toFixed(1).padStart(5)}%  ${String(lat).padStart(5)} ms`,
      );
      if (sentAll && printed === truth.size) stop.abort();
    };
    const items = await frames;
    console.log(`demo: sending ${items.length} frames from ${cameraCount} cameras at ${fps || 'max'} fps\n`);
    console.log('   camera   plate      truth      conf   latency');
    const reading = (async () => {
      for await (const r of readResults(reader, {
        stream: keys.results,
        after: '0-0',
        follow: true,
        signal: stop.signal,
      })) {
        const expected = truth.get(r.frame);
        if (expected === undefined) early.set(r.frame, r);
        else print(r, expected);
      }
    })();
    const sink = new HttpSink(ingestUrl);
    const sendStart = Date.now();
    for (const [i, item] of items.entries()) {
      // Pace like a camera would (fps over all cameras); 0 = as fast as ingest accepts.
      if (fps > 0) await delay(sendStart + (i * 1000) / fps - Date.now());
      const camera = `cam-${(i % cameraCount) + 1}`;
      for (;;) {
        const out = await sink.send({ camera, ts: Date.now(), mime: 'image/jpeg', img: item.image, seq: i });
        if (out.kind === 'accepted') {
          truth.set(out.id, item.text);
          const r = early.get(out.id);
          if (r) {
            early.delete(out.id);
            print(r, item.text);
          }
          break;
        }
        if (out.kind === 'rejected') throw new Error(`ingest rejected demo frame ${i}: ${out.message}`);
        if (stop.signal.aborted)
          throw new Error(`gave up sending frame ${i}: ${out.reason} until the deadline`);
        await delay(out.retryAfterMs, stop.signal);
      }
    }
    await sink.close();
    sentAll = true;
    if (printed === truth.size) stop.abort();
    await reading;
    clearTimeout(timer);
    const pct = (p: number) => percentile(latencies, p) || 0;
    console.log(
      `\ndemo: ${printed}/${truth.size} frames have a result, ${correct} read exactly (${((100 * correct) / Math.max(1, truth.size)).toFixed(1)}%), latency p50 ${pct(50)} ms, p95 ${pct(95)} ms, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (printed < truth.size) {
      console.log(`demo: timed out waiting for ${truth.size - printed} results; see ${logDir}`);
      exitCode = 1;
    }
    console.log(
      server
        ? 'demo: the private Redis goes away with the demo; run it with REDIS_URL=redis://... to keep the results'
        : `demo: results stay in Redis under the prefix "${prefix}": LPR_PREFIX=${prefix} npx platestream results tail --from 0-0 --no-follow, or redis-cli XREVRANGE ${keys.results} + - COUNT 10`,
    );
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    exitCode = 1;
  } finally {
    stop.abort();
    clearTimeout(timer);
    for (const c of children) c.proc.kill('SIGTERM');
    const codes = await Promise.race([
      Promise.all(children.map((c) => c.exited)),
      delay(20_000).then(() => undefined),
    ]);
    if (!codes) {
      for (const c of children) c.proc.kill('SIGKILL');
      console.error('demo: processes did not stop within 20 s and were killed');
      exitCode = 1;
    } else {
      const bad = children.filter((_, i) => codes[i] !== 0 && codes[i] !== null);
      if (bad.length)
        console.error(`demo: ${bad.map((c) => c.name).join(', ')} exited with an error; see ${logDir}`);
    }
    await reader.close();
    if (server) await server.destroy();
    console.log(
      server
        ? 'demo: stopped ingest, workers and Redis cleanly'
        : 'demo: stopped ingest and workers cleanly (your Redis keeps running)',
    );
  }
  return exitCode;
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
