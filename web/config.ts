import { readAuditRetention } from '../privacy/index.ts';
import { deepFreeze, type EnvReader } from '../shared/config/env-reader.ts';
import { type LogOptions, readLogConfig } from '../shared/config/logger-config.ts';
import { type RedisConfig, readRedisConfig } from '../shared/config/redis-config.ts';
import { readWatchlistConfig, type WatchlistConfig } from '../watchlist/index.ts';

export const WEB_AUTH_MODES = ['tokens', 'open'] as const;
export type WebAuthMode = (typeof WEB_AUTH_MODES)[number];

export interface LiveOptions {
  /** A comment line is sent on every open live connection this often, so proxies keep it open (ms). */
  heartbeatMs: number;
  /**
   * Bytes a live client may have waiting in the server's socket buffer; past it the client is sent a
   * `close` event with reason `slow-client` and disconnected (it resumes from its last id).
   */
  maxBufferBytes: number;
  /** Entries read per stream and XRANGE while a client catches up after its last id. */
  catchUpPage: number;
  /** BLOCK of the shared live reader (ms; finite, guarded by the watchdog). */
  blockMs: number;
  /** Most live clients of one process (503 past it). */
  maxClients: number;
}

export interface WebConfig {
  host: string;
  port: number;
  auth: {
    /** `tokens`: bearer tokens with a role; `open`: everyone is admin (local demos only; warns at start-up). */
    mode: WebAuthMode;
    /** `token1=viewer;token2=admin` (entries may also be separated by ","). */
    tokens: string | undefined;
  };
  live: LiveOptions;
  /** Most entries one search request scans before it answers with what it found and a cursor (bounds a page). */
  maxScan: number;
  /** Most rows one CSV export writes. */
  maxExportRows: number;
  shutdownTimeoutMs: number;
  logRequests: boolean;
  redis: RedisConfig;
  /** The watchlist endpoints need DATABASE_URL; without it they answer 503. */
  watchlist: WatchlistConfig;
  log: LogOptions;
  /** How long audit entries of searches and watchlist changes are kept (AUDIT_RETENTION_MS; see docs/privacy.md). */
  auditRetentionMs?: number;
}

export const WEB_DEFAULTS: Omit<WebConfig, 'redis' | 'log' | 'watchlist'> = {
  host: '0.0.0.0',
  port: 8090,
  auth: { mode: 'tokens', tokens: undefined },
  live: {
    heartbeatMs: 15_000,
    maxBufferBytes: 1024 * 1024,
    catchUpPage: 500,
    blockMs: 2000,
    maxClients: 2000,
  },
  maxScan: 20_000,
  maxExportRows: 1_000_000,
  shutdownTimeoutMs: 10_000,
  logRequests: false,
};

/**
 * Reads the web service's options (every problem reported together, result frozen). Variables:
 * LPR_WEB_HOST, LPR_WEB_PORT, LPR_WEB_AUTH, LPR_WEB_TOKENS, LPR_WEB_HEARTBEAT_MS, LPR_WEB_CLIENT_BUFFER,
 * LPR_WEB_MAX_CLIENTS, LPR_WEB_MAX_SCAN, LPR_SHUTDOWN_TIMEOUT_MS, LPR_LOG_REQUESTS, DATABASE_URL and the
 * watchlist variables, plus the Redis (readRedisConfig) and log (readLogConfig) variables.
 */
export function readWebConfig(r: EnvReader): WebConfig {
  const d = WEB_DEFAULTS;
  const auth = {
    mode: r.oneOf('LPR_WEB_AUTH', d.auth.mode, WEB_AUTH_MODES),
    tokens: r.optionalString('LPR_WEB_TOKENS'),
  };
  if (auth.mode === 'tokens' && auth.tokens === undefined) {
    r.problem(
      'LPR_WEB_TOKENS',
      'no web tokens configured; set LPR_WEB_TOKENS="viewer-token=viewer;admin-token=admin", or LPR_WEB_AUTH=open for a local demo',
    );
  }
  const config: WebConfig = {
    host: r.string('LPR_WEB_HOST', d.host),
    port: r.int('LPR_WEB_PORT', d.port, { min: 0, max: 65_535 }),
    auth,
    live: {
      heartbeatMs: r.int('LPR_WEB_HEARTBEAT_MS', d.live.heartbeatMs, { min: 100, max: 300_000 }),
      maxBufferBytes: r.bytes('LPR_WEB_CLIENT_BUFFER', d.live.maxBufferBytes, {
        min: 16 * 1024,
        max: 1024 ** 3,
      }),
      catchUpPage: d.live.catchUpPage,
      blockMs: d.live.blockMs,
      maxClients: r.int('LPR_WEB_MAX_CLIENTS', d.live.maxClients, { min: 1, max: 100_000 }),
    },
    maxScan: r.int('LPR_WEB_MAX_SCAN', d.maxScan, { min: 100, max: 10_000_000 }),
    maxExportRows: d.maxExportRows,
    shutdownTimeoutMs: r.int('LPR_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, { min: 100, max: 600_000 }),
    logRequests: r.bool('LPR_LOG_REQUESTS', d.logRequests),
    redis: readRedisConfig(r),
    watchlist: readWatchlistConfig(r),
    log: readLogConfig(r),
    auditRetentionMs: readAuditRetention(r),
  };
  r.finish();
  return deepFreeze(config);
}
