import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ALERT_DEFAULTS } from '../alerts/index.ts';
import type { SequenceTruth } from '../models/synthetic/sequences.ts';
import { encodeFrame } from '../shared/codec/frame-codec.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Recognizer } from '../shared/recognizer.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { deleteKeysOfPrefix } from '../shared/redis/delete-prefix.ts';
import { EVENTS_GROUP, StreamKeys } from '../shared/redis/keys.ts';
import { entryIdMs } from '../shared/redis/stream/index.ts';
import { median } from '../shared/util/percentile.ts';
import { delay, waitFor } from '../shared/util/wait.ts';
import { WORKER_DEFAULTS } from '../worker/config.ts';
import { TrackGate, type TrackOptions } from '../worker/track-gate.ts';
import { Worker } from '../worker/worker.ts';
import { EVENTS_DEFAULTS, type EventsOptions } from './config.ts';
import { type EmittedEvent, EventStage } from './stage.ts';

/**
 * The event eval: a sequence set (`platestream synth DIR --sequences N`) through Redis as in production —
 * frames XADDed per camera at the set's frame rate, a real worker with the given recogniser, the events
 * stage — then every event is matched to the vehicle pass its reads came from.
 *
 * Report: `vehicles` (passes in the truth), `events`, `eventExact` (share of passes with exactly one event
 * and that event's plate is the true plate), `frameExact` (share of frames with a visible plate whose
 * result's best plate is exact), `duplicateEvents` (events beyond the first for one pass), `missedVehicles`
 * (passes with no event), `falseEvents` (events whose reads belong to no pass), `medianEventLatencyMs` (the
 * pass's last frame capture time to its event being written).
 */
export interface EventEvalReport {
  vehicles: number;
  events: number;
  eventExact: number;
  frameExact: number;
  duplicateEvents: number;
  missedVehicles: number;
  falseEvents: number;
  medianEventLatencyMs: number;
  frames: number;
  /** CPU ms of this process (recogniser, worker, events stage) per frame: the run's cost. */
  cpuMsPerFrame: number;
  /** Frames answered from a tracked plate's predicted region (LPR_TRACK_REGION; 0 when off). */
  regionReads: number;
  /** Per pass: truth plate and the plates of the events matched to it. */
  passes: { camera: string; plate: string; events: string[] }[];
  /**
   * Every pass not scored exact and every false event, with the reads of each event (frame name, text,
   * confidence; `pass` -1 = a frame of no vehicle): what to look at when a figure is off.
   */
  problems: EvalProblem[];
}

export interface EvalProblem {
  kind: 'missed' | 'wrong' | 'duplicate' | 'false';
  camera: string;
  /** The pass's true plate ('' for a false event). */
  truth: string;
  firstFrame?: string;
  lastFrame?: string;
  events: {
    plate: string;
    confidence: number;
    reads: { frame: string; pass: number; plate: string; confidence: number }[];
  }[];
}

export interface EventEvalOptions {
  dir: string;
  redis: RedisConfig;
  recognizer: Recognizer;
  /** Push frames at the set's frame rate (default true); false: as fast as possible. */
  pace?: boolean;
  /** Frames recognised at once (default: available cores). */
  concurrency?: number;
  events?: Partial<EventsOptions>;
  /** Read tracked plates from their predicted region (worker/track-gate.ts) when `trackRegion` is on. */
  track?: TrackOptions;
  logger?: Logger;
  /** Give up after this long (default 1 h). */
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function loadTruth(dir: string): Promise<SequenceTruth> {
  return JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as SequenceTruth;
}

export async function evaluateEvents(opts: EventEvalOptions): Promise<EventEvalReport> {
  const truth = await loadTruth(opts.dir);
  const keys = new StreamKeys(opts.redis.prefix);
  // A consumer connection: no per-command deadline (a loaded machine must not end the run).
  const redis = createRedis(opts.redis, 'consumer', { name: 'eval-events' });
  let regionReads = 0;
  const tracked = opts.track?.trackRegion
    ? new TrackGate(opts.recognizer, { redis, keys, options: opts.track, logger: opts.logger })
    : opts.recognizer;
  const recognizer: Recognizer = {
    id: tracked.id,
    warmup: () => tracked.warmup(),
    close: () => tracked.close(),
    recognize: async (input, signal) => {
      const r = await tracked.recognize(input, signal);
      if (r.timings.region) regionReads++;
      return r;
    },
  };
  const worker = new Worker({
    redis: opts.redis,
    options: {
      ...WORKER_DEFAULTS,
      consumer: 'eval-worker',
      concurrency: opts.concurrency ?? Math.max(1, availableParallelism()),
      httpPort: 0,
      plateIndexRetentionMs: 0,
    },
    recognizer,
    logger: opts.logger,
  });
  const stage = new EventStage({
    redis: opts.redis,
    options: { ...EVENTS_DEFAULTS, consumer: 'eval-events', httpPort: 0, ...opts.events },
    alerts: ALERT_DEFAULTS,
    logger: opts.logger,
  });
  const results = new Map<string, string>();
  const emitted: (EmittedEvent & { writtenAt: number })[] = [];
  worker.on('frame', (o: { kind: string; id: string; plate?: string }) => {
    if (o.kind === 'completed') results.set(o.id, o.plate ?? '');
    else if (o.kind === 'dead-lettered') results.set(o.id, '');
    opts.onProgress?.(results.size, truth.frames.length);
  });
  stage.on('event', (e: EmittedEvent) => emitted.push({ ...e, writtenAt: entryIdMs(e.id) }));
  const frameIndex = new Map<string, number>(); // frames stream id → index into truth.frames
  const captureTs: number[] = new Array(truth.frames.length);
  const cpu0 = process.cpuUsage();
  let cpuMs = 0;
  try {
    await stage.start();
    await worker.start();
    const t0 = Date.now() + 500;
    const step = 1000 / truth.fps;
    const order = truth.frames
      .map((f, i) => ({ i, at: t0 + f.index * step }))
      .sort((a, b) => a.at - b.at || a.i - b.i);
    for (const { i, at } of order) {
      const f = truth.frames[i]!;
      if (opts.pace !== false && at > Date.now()) await delay(at - Date.now());
      const img = await readFile(join(opts.dir, f.file));
      const sentAt = Date.now();
      const id = String(
        await redis.xadd(
          keys.frames,
          '*',
          ...encodeFrame({ camera: f.camera, ts: at, mime: 'image/jpeg', img }),
        ),
      );
      frameIndex.set(id, i);
      // Latency counts from when the frame entered the pipeline: its capture time when paced; unpaced, the
      // synthetic capture clock runs ahead of the wall clock, so the wall time it was sent is used instead.
      captureTs[i] = Math.min(at, sentAt);
    }
    await waitFor(
      async () => {
        if (results.size < truth.frames.length) return false;
        const open = await redis.hlen(keys.eventsState);
        const pending = (await redis.xpending(keys.results, EVENTS_GROUP)) as [number];
        const lag = await redis.xlen(keys.results);
        return open === 0 && Number(pending[0]) === 0 && lag >= truth.frames.length;
      },
      {
        timeoutMs: opts.timeoutMs ?? 3600_000,
        intervalMs: 250,
        what: 'every frame read and every pass closed',
      },
    );
    // The stage acknowledges and closes in one script; give its last 'event' callbacks a turn.
    await delay(50);
    const c = process.cpuUsage(cpu0);
    cpuMs = (c.user + c.system) / 1000;
  } finally {
    await Promise.allSettled([worker.close(), stage.close()]);
    await deleteKeysOfPrefix(redis, keys).catch(() => {});
    await closeRedis(redis);
  }
  return {
    ...score(truth, frameIndex, results, emitted, captureTs),
    cpuMsPerFrame: Math.round((cpuMs / Math.max(1, truth.frames.length)) * 10) / 10,
    regionReads,
  };
}

function score(
  truth: SequenceTruth,
  frameIndex: ReadonlyMap<string, number>,
  results: ReadonlyMap<string, string>,
  events: readonly (EmittedEvent & { writtenAt: number })[],
  captureTs: readonly number[],
): Omit<EventEvalReport, 'cpuMsPerFrame' | 'regionReads'> {
  let visible = 0;
  let frameOk = 0;
  for (const [id, i] of frameIndex) {
    const f = truth.frames[i]!;
    if (!f.plate) continue;
    visible++;
    if (results.get(id) === f.plate) frameOk++;
  }
  const byPass = truth.passes.map(() => [] as (EmittedEvent & { writtenAt: number })[]);
  const falses: EmittedEvent[] = [];
  for (const e of events) {
    const votes = new Map<number, number>();
    for (const r of e.results) {
      const i = frameIndex.get(r.frame);
      const pass = i === undefined ? -1 : truth.frames[i]!.pass;
      if (pass >= 0) votes.set(pass, (votes.get(pass) ?? 0) + 1);
    }
    const best = [...votes].sort((a, b) => b[1] - a[1])[0];
    if (!best) falses.push(e);
    else byPass[best[0]]!.push(e);
  }
  const lastCapture = new Map<string, number>();
  truth.frames.forEach((f, i) => {
    if (f.pass >= 0)
      lastCapture.set(String(f.pass), Math.max(lastCapture.get(String(f.pass)) ?? 0, captureTs[i] ?? 0));
  });
  const latencies: number[] = [];
  let exact = 0;
  let duplicates = 0;
  let missed = 0;
  byPass.forEach((list, p) => {
    if (list.length === 0) missed++;
    duplicates += Math.max(0, list.length - 1);
    if (list.length === 1 && list[0]!.plate === truth.passes[p]!.plate) exact++;
    for (const e of list) latencies.push(e.writtenAt - (lastCapture.get(String(p)) ?? e.lastTs));
  });
  const describe = (e: EmittedEvent) => ({
    plate: e.plate,
    confidence: e.confidence,
    reads: e.results.map((r) => {
      const f = truth.frames[frameIndex.get(r.frame) ?? -1];
      return { frame: f?.name ?? r.frame, pass: f?.pass ?? -1, plate: r.plate, confidence: r.confidence };
    }),
  });
  const problems: EvalProblem[] = [];
  byPass.forEach((list, p) => {
    const t = truth.passes[p]!;
    const kind =
      list.length === 0
        ? 'missed'
        : list.length > 1
          ? 'duplicate'
          : list[0]!.plate !== t.plate
            ? 'wrong'
            : undefined;
    if (kind)
      problems.push({
        kind,
        camera: t.camera,
        truth: t.plate,
        firstFrame: t.firstFrame,
        lastFrame: t.lastFrame,
        events: list.map(describe),
      });
  });
  for (const e of falses)
    problems.push({ kind: 'false', camera: e.camera, truth: '', events: [describe(e)] });
  const vehicles = truth.passes.length;
  return {
    vehicles,
    events: events.length,
    eventExact: round4(vehicles ? exact / vehicles : 0),
    frameExact: round4(visible ? frameOk / visible : 0),
    duplicateEvents: duplicates,
    missedVehicles: missed,
    falseEvents: falses.length,
    medianEventLatencyMs: latencies.length ? Math.round(median(latencies)) : 0,
    frames: truth.frames.length,
    passes: truth.passes.map((p, i) => ({
      camera: p.camera,
      plate: p.plate,
      events: byPass[i]!.map((e) => e.plate),
    })),
    problems,
  };
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** A Redis config for the eval under its own prefix. */
export function evalRedisConfig(url: string, prefix: string): RedisConfig {
  return { ...REDIS_DEFAULTS, url, prefix };
}
