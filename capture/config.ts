import { type BackpressureOptions, readIngestConfig } from '../ingest/config.ts';
import { deepFreeze, type Env, EnvReader } from '../shared/config/env-reader.ts';
import type { LogOptions } from '../shared/config/logger-config.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';

export interface CaptureConfig {
  /** Cameras file (CAPTURE_CONFIG); the CLI's --config or --url take precedence. */
  configPath: string | undefined;
  ffmpegPath: string;
  ffprobePath: string;
  /** /metrics and /healthz (0 = off). */
  httpPort: number;
  httpHost: string;
  /** Send frames to this ingest URL instead of Redis (capture on a remote site). */
  ingestUrl: string | undefined;
  ingestToken: string | undefined;
  shutdownTimeoutMs: number;
  backpressure: BackpressureOptions;
  redis: RedisConfig;
  log: LogOptions;
}

export const CAPTURE_DEFAULTS = {
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
  httpPort: 9466,
  httpHost: '0.0.0.0',
  shutdownTimeoutMs: 10_000,
};

/**
 * Reads the capture options (every problem at once, frozen). Variables: CAPTURE_CONFIG, CAPTURE_FFMPEG,
 * CAPTURE_FFPROBE, CAPTURE_HTTP_PORT, CAPTURE_HTTP_HOST, CAPTURE_INGEST_URL, CAPTURE_INGEST_TOKEN,
 * CAPTURE_SHUTDOWN_TIMEOUT_MS, the ingest backpressure variables (LPR_BACKPRESSURE_POLICY, LPR_MAX_BACKLOG,
 * LPR_STREAM_MEMORY_BUDGET, LPR_RETRY_AFTER_S, LPR_BACKPRESSURE_CHECK_MS), Redis and log variables.
 */
export function readCaptureConfig(env: Env): CaptureConfig {
  // Backpressure, Redis and log variables are read exactly as ingest reads them (capture writes through the
  // same producer); LPR_AUTH=open because capture takes no camera tokens.
  const ingest = readIngestConfig(new EnvReader({ ...env, LPR_AUTH: 'open' }));
  const r = new EnvReader(env);
  const d = CAPTURE_DEFAULTS;
  const ingestUrl = r.optionalString('CAPTURE_INGEST_URL');
  if (ingestUrl !== undefined && !/^https?:\/\/[^\s]+$/i.test(ingestUrl)) {
    r.problem('CAPTURE_INGEST_URL', `"${ingestUrl}" is not an http(s) URL`);
  }
  const config: CaptureConfig = {
    configPath: r.optionalString('CAPTURE_CONFIG'),
    ffmpegPath: r.string('CAPTURE_FFMPEG', d.ffmpegPath),
    ffprobePath: r.string('CAPTURE_FFPROBE', d.ffprobePath),
    httpPort: r.int('CAPTURE_HTTP_PORT', d.httpPort, { min: 0, max: 65_535 }),
    httpHost: r.string('CAPTURE_HTTP_HOST', d.httpHost),
    ingestUrl,
    ingestToken: r.optionalString('CAPTURE_INGEST_TOKEN'),
    shutdownTimeoutMs: r.int('CAPTURE_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, { min: 100, max: 600_000 }),
    backpressure: ingest.backpressure,
    redis: ingest.redis,
    log: ingest.log,
  };
  r.finish();
  return deepFreeze(config);
}
