import { hostname } from 'node:os';
import { type AlertOptions, readAlertConfig } from '../alerts/index.ts';
import { parseCameraFormats } from '../models/config.ts';
import { expandFormats } from '../models/plate/formats.ts';
import { deepFreeze, type EnvReader } from '../shared/config/env-reader.ts';
import { type LogOptions, readLogConfig } from '../shared/config/logger-config.ts';
import { type RedisConfig, readRedisConfig } from '../shared/config/redis-config.ts';
import { readWatchlistConfig, type WatchlistConfig } from '../watchlist/index.ts';
import { PASS_DEFAULTS, type PassOptions } from './pass-builder.ts';

/** Options of one events-stage process (`platestream events`). */
export interface EventsOptions extends PassOptions {
  /** Consumer name in the `events` group; unique per process. Default `<hostname>-<pid>`. */
  consumer: string;
  /**
   * Partitions of the cameras, each worked by one process at a time under its lease; processes share them
   * out. With LPR_PARTITIONS=1: EVENTS_PARTITIONS, each with its own consumer group on the one results
   * stream. With LPR_PARTITIONS=P > 1: P, the stream partitions (each consumes its own results stream).
   */
  partitions: number;
  /** A camera with open passes and no new result for this long (wall clock) is flushed: its passes close. */
  idleFlushMs: number;
  /** Passes with fewer reads than this are dropped (counted), not written as events. */
  minReads: number;
  /** Candidates below this confidence are not used (badges, stickers and signs read weakly). */
  minReadConfidence: number;
  /** Passes whose plate moved less than this many plate widths are dropped (fixed text: signs); 0 = off. */
  minTravel: number;
  /**
   * A pass is dropped when a pass read in the same frames had a mean confidence higher by this much (text
   * riding on a vehicle: badges, the state name on the plate); 0 = off.
   */
  secondaryMargin: number;
  /** Plate patterns for voting (LPR_PLATE_FORMATS, region names or patterns, expanded). */
  patterns: string[];
  /** Per-camera patterns (LPR_CAMERA_FORMATS, expanded); a camera listed here uses these instead. */
  cameraPatterns: Record<string, string[]>;
  /** Most results per read. */
  readCount: number;
  /** XREADGROUP BLOCK (ms). */
  blockMs: number;
  watchdogMarginMs: number;
  /** Lease of a partition; a dead holder's partition is taken over after at most this long. */
  lockTtlMs: number;
  /** Results pending this long on a consumer that is not this process are claimed (ms). */
  claimIdleMs: number;
  /** Approximate MAXLEN of the events stream. */
  eventsMaxLen: number;
  /** Most members of the per-plate event index (0 = no index). */
  indexMaxLen: number;
  /** Port of /metrics, /healthz, /readyz; 0 = off. */
  httpPort: number;
  httpHost: string;
  shutdownTimeoutMs: number;
}

export const EVENTS_DEFAULTS: Omit<EventsOptions, 'consumer'> = {
  ...PASS_DEFAULTS,
  partitions: 1,
  idleFlushMs: 5000,
  minReads: 2,
  minReadConfidence: 0.6,
  minTravel: 0.3,
  secondaryMargin: 0.2,
  patterns: [],
  cameraPatterns: {},
  readCount: 200,
  blockMs: 1000,
  watchdogMarginMs: 3000,
  lockTtlMs: 5000,
  claimIdleMs: 10_000,
  eventsMaxLen: 1_000_000,
  indexMaxLen: 1_000_000,
  httpPort: 9465,
  httpHost: '0.0.0.0',
  shutdownTimeoutMs: 10_000,
};

export interface EventsConfig {
  redis: RedisConfig;
  events: EventsOptions;
  /** Watchlist lookup of each event's plate (off without DATABASE_URL). */
  watchlist: WatchlistConfig;
  alerts: AlertOptions;
  log: LogOptions;
}

/** Reads the events process's configuration in one pass; every bad variable is reported at once. */
export function readEventsConfig(r: EnvReader): Readonly<EventsConfig> {
  const d = EVENTS_DEFAULTS;
  const formats = (r.optionalString('LPR_PLATE_FORMATS') ?? '').split(',').filter((s) => s.trim());
  const { patterns, unknown } = expandFormats(formats);
  if (unknown.length > 0) r.problem('LPR_PLATE_FORMATS', `unknown region or pattern: ${unknown.join(', ')}`);
  const events: EventsOptions = {
    consumer: r.string('EVENTS_CONSUMER', `${hostname()}-${process.pid}`, {
      pattern: /^[A-Za-z0-9_.:-]{1,128}$/,
      hint: '1-128 characters of A-Z a-z 0-9 _ . : -',
    }),
    partitions: r.int('EVENTS_PARTITIONS', d.partitions, { min: 1, max: 64 }),
    latenessMs: r.int('EVENTS_LATENESS_MS', d.latenessMs, { min: 0, max: 600_000 }),
    maxGapMs: r.int('EVENTS_MAX_GAP_MS', d.maxGapMs, { min: 1, max: 600_000 }),
    maxEditDistance: r.int('EVENTS_MAX_EDIT_DISTANCE', d.maxEditDistance, { min: 0, max: 8 }),
    maxSpeed: r.number('EVENTS_MAX_SPEED', d.maxSpeed, { min: 0, max: 1000 }),
    maxPassReads: r.int('EVENTS_MAX_PASS_READS', d.maxPassReads, { min: 2, max: 100_000 }),
    idleFlushMs: r.int('EVENTS_IDLE_FLUSH_MS', d.idleFlushMs, { min: 10, max: 3600_000 }),
    minReads: r.int('EVENTS_MIN_READS', d.minReads, { min: 1, max: 1000 }),
    minReadConfidence: r.number('EVENTS_MIN_READ_CONFIDENCE', d.minReadConfidence, { min: 0, max: 1 }),
    minTravel: r.number('EVENTS_MIN_TRAVEL', d.minTravel, { min: 0, max: 100 }),
    secondaryMargin: r.number('EVENTS_SECONDARY_MARGIN', d.secondaryMargin, { min: 0, max: 1 }),
    patterns,
    cameraPatterns: Object.fromEntries(
      Object.entries(parseCameraFormats(r, 'LPR_CAMERA_FORMATS', r.optionalString('LPR_CAMERA_FORMATS'))).map(
        ([cam, f]) => [cam, expandFormats(f).patterns],
      ),
    ),
    readCount: r.int('EVENTS_READ_COUNT', d.readCount, { min: 1, max: 10_000 }),
    blockMs: r.int('EVENTS_BLOCK_MS', d.blockMs, { min: 10, max: 60_000 }),
    watchdogMarginMs: r.int('EVENTS_WATCHDOG_MARGIN_MS', d.watchdogMarginMs, { min: 100, max: 120_000 }),
    lockTtlMs: r.int('EVENTS_LOCK_TTL_MS', d.lockTtlMs, { min: 100, max: 3600_000 }),
    claimIdleMs: r.int('EVENTS_CLAIM_IDLE_MS', d.claimIdleMs, { min: 20, max: 24 * 3600_000 }),
    eventsMaxLen: r.int('EVENTS_MAXLEN', d.eventsMaxLen, { min: 100 }),
    indexMaxLen: r.int('EVENTS_INDEX_MAXLEN', d.indexMaxLen, { min: 0 }),
    httpPort: r.int('EVENTS_HTTP_PORT', d.httpPort, { min: 0, max: 65_535 }),
    httpHost: r.string('EVENTS_HTTP_HOST', d.httpHost),
    shutdownTimeoutMs: r.int('EVENTS_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, { min: 100, max: 3600_000 }),
  };
  if (events.shutdownTimeoutMs < events.blockMs + 1000) {
    r.problem(
      'EVENTS_SHUTDOWN_TIMEOUT_MS',
      `${events.shutdownTimeoutMs} ms must be at least EVENTS_BLOCK_MS (${events.blockMs} ms) + 1000 ms: shutdown waits for the blocking read`,
    );
  }
  if (events.claimIdleMs < 2 * (events.blockMs + events.watchdogMarginMs)) {
    r.problem(
      'EVENTS_CLAIM_IDLE_MS',
      `${events.claimIdleMs} ms must be at least twice EVENTS_BLOCK_MS + EVENTS_WATCHDOG_MARGIN_MS (${2 * (events.blockMs + events.watchdogMarginMs)} ms)`,
    );
  }
  const redis = readRedisConfig(r);
  if (redis.partitions > 1) {
    // Stream partitions: each events partition consumes its own results stream (docs/partitions.md).
    if (r.optionalString('EVENTS_PARTITIONS') !== undefined && events.partitions !== redis.partitions)
      r.problem(
        'EVENTS_PARTITIONS',
        `${events.partitions} differs from LPR_PARTITIONS (${redis.partitions}): with LPR_PARTITIONS > 1 the events partitions are the stream partitions (each consumes its own results stream); leave EVENTS_PARTITIONS unset`,
      );
    events.partitions = redis.partitions;
  }
  const config: EventsConfig = {
    redis,
    events,
    watchlist: readWatchlistConfig(r),
    alerts: readAlertConfig(r),
    log: readLogConfig(r),
  };
  r.finish();
  return deepFreeze(config);
}
