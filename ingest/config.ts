import { deepFreeze, type EnvReader } from '../shared/config/env-reader.ts';
import { type LogOptions, readLogConfig } from '../shared/config/logger-config.ts';
import { type RedisConfig, readRedisConfig } from '../shared/config/redis-config.ts';
import { MAX_IMAGE_PIXELS } from '../shared/image-limits.ts';

export const BACKPRESSURE_POLICIES = ['reject', 'drop-oldest'] as const;
export type BackpressurePolicy = (typeof BACKPRESSURE_POLICIES)[number];

export const AUTH_MODES = ['tokens', 'open'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface BackpressureOptions {
  /** `reject` answers 503 + Retry-After; `drop-oldest` admits and deletes the oldest undelivered frames. */
  policy: BackpressurePolicy;
  /** Backlog (group lag + pending of group `workers`) above which the policy applies. */
  maxBacklog: number;
  /**
   * Memory budget in bytes (MEMORY USAGE, sampled) of the pipeline's streams together: frames, DLQ, results
   * and events. Keep it below Redis's maxmemory, with room for the results' retention.
   */
  memoryBudgetBytes: number;
  /** Seconds sent in Retry-After with 503 answers (backpressure, Redis down, shutting down). */
  retryAfterSeconds: number;
  /** How long one backlog/memory reading is reused before it is taken again (ms). */
  checkIntervalMs: number;
  /** Most frames one drop-oldest admission deletes (the next admissions continue). */
  maxDropPerAdmit: number;
  /**
   * How long (ms) an admitted request's idempotency key is remembered: a retry with the same key within
   * this window writes nothing and gets the first id back. 0 = no de-duplication.
   */
  idempotencyWindowMs: number;
  /**
   * Replicas that must confirm a frame before it is acknowledged (LPR_WAIT_REPLICAS; 0 = off): after the
   * write, `WAIT n LPR_WAIT_TIMEOUT_MS` on the frame's master; fewer → REPLICA_WAIT_TIMEOUT (503).
   */
  waitReplicas: number;
  /** How long WAIT may block (ms); below REDIS_COMMAND_TIMEOUT_MS. */
  waitTimeoutMs: number;
}

export interface AuthOptions {
  /** `tokens`: per-camera bearer tokens; `open`: no authentication (local demos only; warns at start-up). */
  mode: AuthMode;
  /** Inline tokens: `token1=cam-a,cam-b;token2=gate-*;token3=*`. */
  tokens: string | undefined;
  /** JSON file `{ "<token>": ["cam-a", "gate-*"] }` (or `"*"` for every camera). */
  tokensFile: string | undefined;
}

export interface IngestConfig {
  host: string;
  port: number;
  /** Largest accepted body (raw image or the whole multipart request), bytes. */
  bodyLimitBytes: number;
  /** Largest width × height accepted; read from the image header (decompression-bomb guard). */
  maxPixels: number;
  /**
   * Whole request (headers and body) must arrive within this (ms), else 408 and the connection is closed:
   * a client trickling bytes cannot hold a connection. Headers alone get min(this, 10 s).
   */
  requestTimeoutMs: number;
  /** A capture `ts` further than this from the server clock (either way) is refused with 400 TS_OUT_OF_RANGE. */
  maxTsSkewMs: number;
  auth: AuthOptions;
  backpressure: BackpressureOptions;
  /** Hard limit for the whole graceful shutdown (ms). */
  shutdownTimeoutMs: number;
  /** Log one line per request (off by default: one frame per request is a lot of lines). */
  logRequests: boolean;
  /** Server processes sharing the port (node:cluster); 1 = this process serves alone. */
  processes: number;
  redis: RedisConfig;
  log: LogOptions;
}

export const INGEST_DEFAULTS: Omit<IngestConfig, 'redis' | 'log'> = {
  host: '0.0.0.0',
  port: 8080,
  bodyLimitBytes: 10 * 1024 * 1024,
  maxPixels: MAX_IMAGE_PIXELS,
  requestTimeoutMs: 30_000,
  maxTsSkewMs: 24 * 3600_000,
  auth: { mode: 'tokens', tokens: undefined, tokensFile: undefined },
  backpressure: {
    policy: 'reject',
    maxBacklog: 5000,
    memoryBudgetBytes: 1024 * 1024 * 1024,
    retryAfterSeconds: 1,
    checkIntervalMs: 100,
    maxDropPerAdmit: 64,
    idempotencyWindowMs: 10 * 60_000,
    waitReplicas: 0,
    waitTimeoutMs: 1000,
  },
  shutdownTimeoutMs: 10_000,
  logRequests: false,
  processes: 1,
};

/**
 * Reads the ingest options from the environment (every problem reported together, result frozen).
 * Variables: LPR_INGEST_HOST, LPR_INGEST_PORT, LPR_INGEST_BODY_LIMIT, LPR_INGEST_MAX_PIXELS,
 * LPR_INGEST_REQUEST_TIMEOUT_MS, LPR_TS_MAX_SKEW_MS, LPR_IDEMPOTENCY_WINDOW_MS, LPR_AUTH,
 * LPR_CAMERA_TOKENS, LPR_CAMERA_TOKENS_FILE, LPR_BACKPRESSURE_POLICY, LPR_MAX_BACKLOG,
 * LPR_STREAM_MEMORY_BUDGET, LPR_RETRY_AFTER_S, LPR_BACKPRESSURE_CHECK_MS, LPR_WAIT_REPLICAS,
 * LPR_WAIT_TIMEOUT_MS, LPR_SHUTDOWN_TIMEOUT_MS, LPR_LOG_REQUESTS, LPR_INGEST_PROCESSES, plus the Redis (readRedisConfig) and log (readLogConfig) variables.
 */
export function readIngestConfig(r: EnvReader): IngestConfig {
  const d = INGEST_DEFAULTS;
  const auth: AuthOptions = {
    mode: r.oneOf('LPR_AUTH', d.auth.mode, AUTH_MODES),
    tokens: r.optionalString('LPR_CAMERA_TOKENS'),
    tokensFile: r.optionalString('LPR_CAMERA_TOKENS_FILE'),
  };
  if (auth.mode === 'tokens' && auth.tokens === undefined && auth.tokensFile === undefined) {
    r.problem(
      'LPR_CAMERA_TOKENS',
      'no camera tokens configured; set LPR_CAMERA_TOKENS="token=cam-a,cam-b;token2=*" or LPR_CAMERA_TOKENS_FILE=/path/tokens.json, or LPR_AUTH=open for a local demo',
    );
  }
  const config: IngestConfig = {
    host: r.string('LPR_INGEST_HOST', d.host),
    port: r.int('LPR_INGEST_PORT', d.port, { min: 0, max: 65_535 }),
    bodyLimitBytes: r.bytes('LPR_INGEST_BODY_LIMIT', d.bodyLimitBytes, { min: 1024, max: 1024 ** 3 }),
    // Above the decoder's limit a frame would be admitted (202) only to be dead-lettered.
    maxPixels: r.int('LPR_INGEST_MAX_PIXELS', d.maxPixels, { min: 1, max: MAX_IMAGE_PIXELS }),
    requestTimeoutMs: r.int('LPR_INGEST_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, { min: 500, max: 3600_000 }),
    maxTsSkewMs: r.int('LPR_TS_MAX_SKEW_MS', d.maxTsSkewMs, { min: 1000, max: 10 * 365 * 24 * 3600_000 }),
    auth,
    backpressure: {
      policy: r.oneOf('LPR_BACKPRESSURE_POLICY', d.backpressure.policy, BACKPRESSURE_POLICIES),
      maxBacklog: r.int('LPR_MAX_BACKLOG', d.backpressure.maxBacklog, { min: 1, max: 100_000_000 }),
      memoryBudgetBytes: r.bytes('LPR_STREAM_MEMORY_BUDGET', d.backpressure.memoryBudgetBytes, {
        min: 1024 * 1024,
        max: 1024 ** 4,
      }),
      retryAfterSeconds: r.int('LPR_RETRY_AFTER_S', d.backpressure.retryAfterSeconds, { min: 1, max: 3600 }),
      checkIntervalMs: r.int('LPR_BACKPRESSURE_CHECK_MS', d.backpressure.checkIntervalMs, {
        min: 0,
        max: 60_000,
      }),
      maxDropPerAdmit: d.backpressure.maxDropPerAdmit,
      idempotencyWindowMs: r.int('LPR_IDEMPOTENCY_WINDOW_MS', d.backpressure.idempotencyWindowMs, {
        min: 0,
        max: 7 * 24 * 3600_000,
      }),
      waitReplicas: r.int('LPR_WAIT_REPLICAS', d.backpressure.waitReplicas, { min: 0, max: 16 }),
      waitTimeoutMs: r.int('LPR_WAIT_TIMEOUT_MS', d.backpressure.waitTimeoutMs, { min: 1, max: 60_000 }),
    },
    shutdownTimeoutMs: r.int('LPR_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, { min: 100, max: 600_000 }),
    logRequests: r.bool('LPR_LOG_REQUESTS', d.logRequests),
    processes: r.int('LPR_INGEST_PROCESSES', d.processes, { min: 1, max: 64 }),
    redis: readRedisConfig(r),
    log: readLogConfig(r),
  };
  const b = config.backpressure;
  if (b.waitReplicas > 0 && b.waitTimeoutMs >= config.redis.commandTimeoutMs) {
    r.problem(
      'LPR_WAIT_TIMEOUT_MS',
      `${b.waitTimeoutMs} ms must be below REDIS_COMMAND_TIMEOUT_MS (${config.redis.commandTimeoutMs} ms), or the WAIT itself times out first`,
    );
  }
  r.finish();
  return deepFreeze(config);
}
