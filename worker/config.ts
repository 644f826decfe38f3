import { hostname } from 'node:os';
import { type AlertOptions, readAlertConfig } from '../alerts/index.ts';
import { type RecognizerOptions, readRecognizerConfig } from '../models/config.ts';
import { type AgeLimits, readAgeLimits } from '../privacy/index.ts';
import { deepFreeze, type Env, type EnvReader } from '../shared/config/env-reader.ts';
import { readCameraHints } from '../shared/config/camera-hints.ts';
import { type LogOptions, readLogConfig } from '../shared/config/logger-config.ts';
import { type RedisConfig, readRedisConfig } from '../shared/config/redis-config.ts';
import { DEFAULT_STATIC_THRESHOLD } from '../shared/image/static-scene.ts';
import { PLATE_INDEX_DEFAULTS } from '../shared/redis/plate-index.ts';
import { readWatchlistConfig, type WatchlistConfig } from '../watchlist/index.ts';
import { RECOGNIZER_NAMES, type RecognizerName } from './recognizers.ts';
import { parseCameraStatic, type StaticFrameOptions } from './static-gate.ts';
import { readTrackOptions, TRACK_DEFAULTS, type TrackOptions } from './track-gate.ts';

export type ResultRetention = 'maxlen' | 'minid';

export interface WorkerOptions extends StaticFrameOptions, TrackOptions {
  /** Which recogniser to run: onnx (default) or noop (benchmarks); tests inject their own. */
  recognizer: RecognizerName;
  /** Consumer name in the `workers` group; unique per process. Default `<hostname>-<pid>`. */
  consumer: string;
  /**
   * Frames processed at the same time by this process (WORKER_CONCURRENCY). Default: 4, and with the ONNX
   * recogniser at least 2 per recogniser thread (LPR_RECOGNIZER_THREADS), so every thread has its next frame
   * waiting while it reads one; set lower, it caps the default number of recogniser threads.
   */
  concurrency: number;
  /** Most entries asked for per XREADGROUP (never more than free slots). */
  readCount: number;
  /** XREADGROUP BLOCK (ms); finite so the loop can notice shutdown and stuck connections. */
  blockMs: number;
  /** A read that outlives blockMs + this margin is considered stuck: its connection is replaced. */
  watchdogMarginMs: number;
  /** Deadline for recognising one frame; past it the attempt counts as a transient failure. */
  processingTimeoutMs: number;
  /** Entries idle (delivered, not acknowledged) longer than this are reclaimed from their consumer. */
  claimIdleMs: number;
  /** How often this worker looks for entries to reclaim. */
  claimIntervalMs: number;
  /** Deliveries after which a frame goes to the DLQ instead of being retried. */
  maxDeliveries: number;
  /** Result stream retention: `maxlen` (keep about resultsMaxLen) or `minid` (keep resultsRetentionMs). */
  resultRetention: ResultRetention;
  resultsMaxLen: number;
  resultsRetentionMs: number;
  /** Approximate cap of the DLQ stream (0 = unbounded). */
  dlqMaxLen: number;
  /** Byte cap of the DLQ (MEMORY USAGE, sampled); past it the oldest entries go. 0 = no byte cap. */
  dlqMaxBytes: number;
  /** Keep acknowledged frames this long (ms) so `platestream annotate` can draw on them; 0 = trim at once. */
  frameRetentionMs: number;
  /** How long the per-plate sighting index keeps a sighting (ms); 0 = no index. */
  plateIndexRetentionMs: number;
  /** Age limits of the DLQ, alerts and events enforced by housekeeping (DLQ_RETENTION_MS, ...; unset = none). */
  ageLimits?: AgeLimits;
  /** How often housekeeping (trim, idle consumer cleanup) runs on the elected worker. */
  housekeepingIntervalMs: number;
  /** Housekeeping lease length. */
  lockTtlMs: number;
  /** Consumers idle longer than this with no pending entries are removed from the group. */
  consumerIdleMs: number;
  /**
   * How often the worker records its heartbeat; it counts as alive for 3 intervals after each one
   * (`stats` and `platestream_group_consumers` count live workers, and list the others as dead).
   */
  heartbeatMs: number;
  /** Port of the /metrics, /healthz, /readyz listener; 0 = disabled; 'auto' = any free port (logged). */
  httpPort: number | 'auto';
  httpHost: string;
  /** Hard limit for a graceful shutdown (SIGTERM). */
  shutdownTimeoutMs: number;
}

export const WORKER_DEFAULTS: Omit<WorkerOptions, 'consumer'> = {
  recognizer: 'onnx',
  concurrency: 4,
  readCount: 16,
  blockMs: 2000,
  watchdogMarginMs: 3000,
  processingTimeoutMs: 10_000,
  claimIdleMs: 30_000,
  claimIntervalMs: 5000,
  maxDeliveries: 5,
  resultRetention: 'maxlen',
  resultsMaxLen: 1_000_000,
  resultsRetentionMs: 24 * 3600_000,
  dlqMaxLen: 100_000,
  dlqMaxBytes: 256 * 1024 * 1024,
  frameRetentionMs: 0,
  plateIndexRetentionMs: PLATE_INDEX_DEFAULTS.retentionMs,
  housekeepingIntervalMs: 5000,
  lockTtlMs: 15_000,
  consumerIdleMs: 3600_000,
  heartbeatMs: 5000,
  httpPort: 9464,
  httpHost: '0.0.0.0',
  shutdownTimeoutMs: 30_000,
  skipStatic: false,
  staticThreshold: DEFAULT_STATIC_THRESHOLD,
  staticMaxAgeMs: 30_000,
  cameraStatic: {},
  ...TRACK_DEFAULTS,
};

/** WORKER_CONCURRENCY by default: 4, and at least 2 frames per recogniser thread of the ONNX recogniser. */
function defaultConcurrency(recognizer: Pick<RecognizerOptions, 'recognizerThreads'> | undefined): number {
  return Math.max(WORKER_DEFAULTS.concurrency, 2 * (recognizer?.recognizerThreads ?? 1));
}

/** Smallest ratio claimIdleMs / processingTimeoutMs accepted: a live worker's frame must never be reclaimed. */
export const CLAIM_IDLE_FACTOR = 2;

export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}`;
}

/** Everything a worker process reads from its environment, in one pass. */
export interface WorkerConfig {
  redis: RedisConfig;
  worker: WorkerOptions;
  /** Watchlist enrichment (off without DATABASE_URL). */
  watchlist: WatchlistConfig;
  alerts: AlertOptions;
  /** Recogniser settings (LPR_MODEL_DIR, LPR_RECOGNIZER_THREADS, LPR_THREADS, ...); undefined unless LPR_RECOGNIZER=onnx. */
  recognizer: RecognizerOptions | undefined;
  log: LogOptions;
}

/**
 * Reads the worker process's whole configuration from one reader and finishes it: every bad variable of
 * every part is reported in one CONFIG_INVALID error. `env` is the same environment (for defaults that
 * depend on it, such as the model folder under HOME).
 */
export function readWorkerConfig(r: EnvReader, env: Env = process.env): Readonly<WorkerConfig> {
  const d = WORKER_DEFAULTS;
  const hints = readCameraHints(r, env);
  const recognizerName = r.oneOf('LPR_RECOGNIZER', d.recognizer, RECOGNIZER_NAMES);
  const concurrencySet =
    r.optionalString('WORKER_CONCURRENCY') === undefined
      ? undefined
      : r.int('WORKER_CONCURRENCY', d.concurrency, { min: 1, max: 1024 });
  const recognizer =
    recognizerName === 'onnx' ? readRecognizerConfig(r, env, hints, concurrencySet) : undefined;
  const worker: WorkerOptions = {
    recognizer: recognizerName,
    consumer: r.string('WORKER_CONSUMER', defaultConsumerName(), {
      pattern: /^[A-Za-z0-9_.:-]{1,128}$/,
      hint: '1-128 characters of A-Z a-z 0-9 _ . : -',
    }),
    concurrency: concurrencySet ?? defaultConcurrency(recognizer),
    readCount: r.int('WORKER_READ_COUNT', d.readCount, { min: 1, max: 10_000 }),
    blockMs: r.int('WORKER_BLOCK_MS', d.blockMs, { min: 10, max: 60_000 }),
    watchdogMarginMs: r.int('WORKER_WATCHDOG_MARGIN_MS', d.watchdogMarginMs, { min: 100, max: 120_000 }),
    processingTimeoutMs: r.int('WORKER_PROCESSING_TIMEOUT_MS', d.processingTimeoutMs, {
      min: 10,
      max: 3600_000,
    }),
    claimIdleMs: r.int('WORKER_CLAIM_IDLE_MS', d.claimIdleMs, { min: 20, max: 24 * 3600_000 }),
    claimIntervalMs: r.int('WORKER_CLAIM_INTERVAL_MS', d.claimIntervalMs, { min: 10, max: 3600_000 }),
    maxDeliveries: r.int('WORKER_MAX_DELIVERIES', d.maxDeliveries, { min: 1, max: 1000 }),
    resultRetention: r.oneOf('RESULTS_RETENTION', d.resultRetention, ['maxlen', 'minid']),
    resultsMaxLen: r.int('RESULTS_MAXLEN', d.resultsMaxLen, { min: 1 }),
    resultsRetentionMs: r.int('RESULTS_RETENTION_MS', d.resultsRetentionMs, { min: 1000 }),
    dlqMaxLen: r.int('DLQ_MAXLEN', d.dlqMaxLen, { min: 0 }),
    dlqMaxBytes: r.bytes('DLQ_MAX_BYTES', d.dlqMaxBytes, { min: 0, max: 1024 ** 4 }),
    frameRetentionMs: r.int('LPR_FRAME_RETENTION_MS', d.frameRetentionMs, { min: 0, max: 7 * 24 * 3600_000 }),
    plateIndexRetentionMs: r.int('LPR_PLATE_INDEX_RETENTION_MS', d.plateIndexRetentionMs, {
      min: 0,
      max: 365 * 24 * 3600_000,
    }),
    ageLimits: readAgeLimits(r),
    housekeepingIntervalMs: r.int('WORKER_HOUSEKEEPING_INTERVAL_MS', d.housekeepingIntervalMs, {
      min: 10,
      max: 3600_000,
    }),
    lockTtlMs: r.int('WORKER_LOCK_TTL_MS', d.lockTtlMs, { min: 100, max: 3600_000 }),
    consumerIdleMs: r.int('WORKER_CONSUMER_IDLE_MS', d.consumerIdleMs, { min: 1000 }),
    heartbeatMs: r.int('WORKER_HEARTBEAT_MS', d.heartbeatMs, { min: 50, max: 600_000 }),
    httpPort:
      r.string('WORKER_HTTP_PORT', String(d.httpPort)).trim().toLowerCase() === 'auto'
        ? 'auto'
        : r.int('WORKER_HTTP_PORT', d.httpPort === 'auto' ? 0 : d.httpPort, { min: 0, max: 65_535 }),
    httpHost: r.string('WORKER_HTTP_HOST', d.httpHost),
    shutdownTimeoutMs: r.int('WORKER_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, { min: 100, max: 3600_000 }),
    skipStatic: r.bool('LPR_SKIP_STATIC', d.skipStatic),
    staticThreshold: r.number('LPR_STATIC_THRESHOLD', d.staticThreshold, { min: 0, max: 1 }),
    staticMaxAgeMs: r.int('LPR_STATIC_MAX_AGE_MS', d.staticMaxAgeMs, { min: 100, max: 24 * 3600_000 }),
    cameraStatic: {
      ...hints.staticThresholds,
      ...parseCameraStatic(r, 'LPR_CAMERA_STATIC', r.optionalString('LPR_CAMERA_STATIC')),
    },
    ...readTrackOptions(r, d),
  };
  for (const problem of checkWorkerOptions(worker)) r.problem(problem.name, problem.message);
  if (recognizer && recognizer.recognizerThreads > worker.concurrency)
    r.problem(
      'WORKER_CONCURRENCY',
      `${worker.concurrency} frames in flight cannot keep LPR_RECOGNIZER_THREADS=${recognizer.recognizerThreads} recogniser threads busy; set it to at least ${recognizer.recognizerThreads}, or fewer recogniser threads`,
    );
  const config: WorkerConfig = {
    redis: readRedisConfig(r),
    worker,
    watchlist: readWatchlistConfig(r),
    alerts: readAlertConfig(r),
    recognizer,
    log: readLogConfig(r),
  };
  r.finish();
  return deepFreeze(config);
}

/** Cross-field rules; returned as (variable, message) so env and programmatic callers report the same way. */
export function checkWorkerOptions(o: WorkerOptions): { name: string; message: string }[] {
  const out: { name: string; message: string }[] = [];
  if (o.claimIdleMs < CLAIM_IDLE_FACTOR * o.processingTimeoutMs) {
    out.push({
      name: 'WORKER_CLAIM_IDLE_MS',
      message:
        `${o.claimIdleMs} ms is not comfortably above WORKER_PROCESSING_TIMEOUT_MS (${o.processingTimeoutMs} ms): ` +
        `frames still being processed would be reclaimed by other workers. Use at least ` +
        `${CLAIM_IDLE_FACTOR * o.processingTimeoutMs} ms (${CLAIM_IDLE_FACTOR} x the processing timeout)`,
    });
  }
  if (o.lockTtlMs < 2 * o.housekeepingIntervalMs) {
    out.push({
      name: 'WORKER_LOCK_TTL_MS',
      message: `${o.lockTtlMs} ms must be at least twice WORKER_HOUSEKEEPING_INTERVAL_MS (${o.housekeepingIntervalMs} ms) so the leader renews it in time`,
    });
  }
  if (o.shutdownTimeoutMs < o.blockMs + 1000) {
    out.push({
      name: 'WORKER_SHUTDOWN_TIMEOUT_MS',
      message: `${o.shutdownTimeoutMs} ms must be at least WORKER_BLOCK_MS (${o.blockMs} ms) + 1000 ms: shutdown waits for the blocking read to return`,
    });
  }
  if (o.shutdownTimeoutMs <= o.processingTimeoutMs) {
    out.push({
      name: 'WORKER_SHUTDOWN_TIMEOUT_MS',
      message: `${o.shutdownTimeoutMs} ms must be above WORKER_PROCESSING_TIMEOUT_MS (${o.processingTimeoutMs} ms) so in-flight frames can finish`,
    });
  }
  return out;
}
