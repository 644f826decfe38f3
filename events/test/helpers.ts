import type { RedisClient } from '../../shared/redis/connection.ts';
import { ALERT_DEFAULTS } from '../../alerts/index.ts';
import type { CliIO } from '../../shared/cli/index.ts';
import { decodeEvent, type EventRecord } from '../../shared/codec/event-codec.ts';
import { encodeResult, type ResultRecord } from '../../shared/codec/result-codec.ts';
import type { RedisConfig } from '../../shared/config/redis-config.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { silentLogger } from '../../test/harness/index.ts';
import { run } from '../cli.ts';
import { EVENTS_DEFAULTS, type EventsOptions } from '../config.ts';
import { EventStage, type EventStageDeps } from '../stage.ts';

export const T0 = 1_750_000_000_000;

/** Fast-cycling options for tests. */
export function testEventsOptions(overrides: Partial<EventsOptions> = {}): EventsOptions {
  return {
    ...EVENTS_DEFAULTS,
    consumer: `e-${Math.random().toString(36).slice(2, 8)}`,
    latenessMs: 500,
    maxGapMs: 1000,
    idleFlushMs: 400,
    blockMs: 100,
    watchdogMarginMs: 500,
    lockTtlMs: 600,
    claimIdleMs: 1500,
    readCount: 20,
    httpPort: 0,
    shutdownTimeoutMs: 3000,
    ...overrides,
  };
}

/** Environment for `platestream events` as a child process, with the same fast timings. */
export function eventsEnv(config: RedisConfig, consumer: string, extra: Record<string, string> = {}) {
  return {
    REDIS_URL: config.url,
    LPR_PREFIX: config.prefix,
    EVENTS_CONSUMER: consumer,
    EVENTS_LATENESS_MS: '500',
    EVENTS_MAX_GAP_MS: '1000',
    EVENTS_IDLE_FLUSH_MS: '400',
    EVENTS_BLOCK_MS: '100',
    EVENTS_WATCHDOG_MARGIN_MS: '500',
    EVENTS_LOCK_TTL_MS: '1000',
    EVENTS_CLAIM_IDLE_MS: '1500',
    EVENTS_READ_COUNT: '5',
    EVENTS_HTTP_PORT: '0',
    DATABASE_URL: undefined as unknown as string,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export function testStage(
  redis: RedisConfig,
  overrides: Partial<EventsOptions> = {},
  deps: Partial<EventStageDeps> = {},
) {
  return new EventStage({
    redis,
    options: testEventsOptions(overrides),
    alerts: ALERT_DEFAULTS,
    logger: silentLogger,
    ...deps,
  });
}

let frameSeq = 0;

/**
 * Results of one car crossing the view: `n` frames `stepMs` apart, its box moving right and growing
 * (approaching). `misread` replaces the read of some frames; `empty` frames have no plate.
 */
export function carResults(
  camera: string,
  plate: string,
  start: number,
  n: number,
  opts: {
    stepMs?: number;
    y?: number;
    misread?: Record<number, string>;
    empty?: number[];
    worker?: string;
  } = {},
): ResultRecord[] {
  const step = opts.stepMs ?? 150;
  return Array.from({ length: n }, (_, i) => {
    const text = opts.empty?.includes(i) ? '' : (opts.misread?.[i] ?? plate);
    const box = { x: 100 + i * 25, y: opts.y ?? 100, w: 80 + i * 4, h: 20 };
    frameSeq++;
    return {
      frame: `${T0 + frameSeq}-0`,
      camera,
      ts: start + i * step,
      plate: text,
      confidence: text ? 0.9 : 0,
      box: text ? box : undefined,
      plates: text ? [{ text, confidence: 0.9, box }] : [],
      model: 'test',
      worker: opts.worker ?? 'w1',
      timings: {},
    };
  });
}

/** XADDs results in the given order (as workers would); returns their ids. */
export async function pushResults(
  client: RedisClient,
  prefix: string,
  results: readonly ResultRecord[],
): Promise<string[]> {
  const keys = new StreamKeys(prefix);
  const pipe = client.pipeline();
  for (const r of results) pipe.xadd(keys.results, '*', ...encodeResult(r));
  const res = (await pipe.exec()) ?? [];
  return res.map(([err, id]) => {
    if (err) throw err;
    return String(id);
  });
}

export async function readEvents(client: RedisClient, prefix: string): Promise<EventRecord[]> {
  const rows = (await client.xrange(new StreamKeys(prefix).events, '-', '+')) as [string, string[]][];
  return rows.map(([id, fields]) => decodeEvent(id, fields));
}

/** An event without what depends on arrival (stream ids): for comparing runs. */
export function eventShape(e: EventRecord) {
  return {
    event: e.event,
    camera: e.camera,
    plate: e.plate,
    confidence: e.confidence,
    frames: e.frames,
    firstTs: e.firstTs,
    lastTs: e.lastTs,
    bestFrame: e.bestFrame,
    direction: e.direction,
    alternatives: e.alternatives,
    reads: e.results.map((r) => r.frame).sort(),
  };
}

/** Combines results of one camera captured at the same time into one result per frame (several plates in view). */
export function sameFrames(results: readonly ResultRecord[]): ResultRecord[] {
  const byFrame = new Map<string, ResultRecord>();
  for (const r of [...results].sort((a, b) => a.ts - b.ts)) {
    const key = `${r.camera}@${r.ts}`;
    const prev = byFrame.get(key);
    if (!prev) byFrame.set(key, { ...r, plates: [...r.plates] });
    else {
      prev.plates.push(...r.plates);
      if (!prev.plate && r.plate)
        Object.assign(prev, { plate: r.plate, confidence: r.confidence, box: r.box });
    }
  }
  return [...byFrame.values()];
}

/** Runs `platestream events ARGS` in process with the given environment; returns its exit code and output. */
export async function runEventsCli(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  } as unknown as CliIO;
  const code = await run(args, io);
  return { code, out, err };
}
