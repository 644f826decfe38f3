import type { ChainableCommander, Redis } from 'ioredis';
import { webhookQueueKeyPrefix } from '../alerts/index.ts';
import type { RedisClient } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { scanKeys } from '../shared/redis/scan-keys.ts';
import { entryIdMs as idMs } from '../shared/redis/stream/index.ts';
import type { RetentionSettings } from './config.ts';

/** One kind of stored data that can hold a plate, an image or a read. */
export interface KindReport {
  kind: string;
  /** The key or key pattern (from StreamKeys). */
  key: string;
  /** What it holds that is personal data. */
  holds: string;
  /** The retention setting in words (variables and values). */
  retention: string;
  /** The age limit in ms; null = no age limit (count caps only, or none): `privacy report --strict` fails. */
  maxAgeMs: number | null;
  /** Entries, members or keys found. */
  items: number;
  /** Age of the oldest item (ms) where it can be told; null when empty or not measurable. */
  oldestAgeMs: number | null;
  /** For TTL kinds: the longest remaining TTL seen (ms); keys without a TTL make the kind unlimited. */
  maxTtlMs?: number;
  note?: string;
}

/**
 * One report of several partitions' reports (LPR_PARTITIONS > 1): per kind, items summed, the oldest age
 * and longest TTL kept, the keys listed once each. Kinds that are not per partition (the watchlist cache,
 * the audit log) appear in every partition's report with the same key: counted once.
 */
export function mergePartitionReports(reports: readonly KindReport[][]): KindReport[] {
  const out = new Map<string, KindReport & { keys: Set<string> }>();
  for (const report of reports)
    for (const r of report) {
      const prev = out.get(r.kind);
      if (!prev) {
        out.set(r.kind, { ...r, keys: new Set([r.key]) });
        continue;
      }
      if (prev.keys.has(r.key)) continue;
      prev.keys.add(r.key);
      prev.items += r.items;
      if (r.oldestAgeMs !== null) prev.oldestAgeMs = Math.max(prev.oldestAgeMs ?? 0, r.oldestAgeMs);
      if (r.maxTtlMs !== undefined) prev.maxTtlMs = Math.max(prev.maxTtlMs ?? 0, r.maxTtlMs);
    }
  return [...out.values()].map(({ keys, ...r }) => ({ ...r, key: [...keys].join(', ') }));
}

/** Keys examined per pattern kind (SCAN); more are counted as "sampled" in the note. */
const SCAN_CAP = 20_000;

const fmtMs = (ms: number) =>
  ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${ms} ms`;

async function streamKind(
  redis: RedisClient,
  key: string,
  now: number,
): Promise<{ items: number; oldestAgeMs: number | null }> {
  const [len, first] = await Promise.all([
    redis.xlen(key),
    redis.xrange(key, '-', '+', 'COUNT', 1) as Promise<[string, string[]][]>,
  ]);
  const id = first[0]?.[0];
  return { items: len, oldestAgeMs: id ? Math.max(0, now - idMs(id)) : null };
}

/**
 * Keys matching `pattern` (at most SCAN_CAP, every master of a cluster), grouped by the node connection that
 * holds them: pipelines over scanned keys go to that node (a cluster pipeline must stay on one node).
 */
async function scanKeyGroups(
  redis: RedisClient,
  pattern: string,
): Promise<{ groups: { node: Redis; keys: string[] }[]; count: number; capped: boolean }> {
  const groups: { node: Redis; keys: string[] }[] = [];
  let count = 0;
  let capped = false;
  for await (const batch of scanKeys(redis, pattern, { count: 1000 })) {
    const keys = batch.keys.slice(0, SCAN_CAP - count);
    groups.push({ node: batch.node, keys });
    count += keys.length;
    if (count >= SCAN_CAP) {
      capped = true;
      break;
    }
  }
  return { groups, count, capped };
}

/** Runs one pipeline per node group, each key queued by `queue`; the replies in key order. */
async function pipelined(
  groups: { node: Redis; keys: string[] }[],
  queue: (pipe: ChainableCommander, key: string) => void,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const g of groups) {
    if (g.keys.length === 0) continue;
    const pipe = g.node.pipeline();
    for (const k of g.keys) queue(pipe, k);
    for (const [err, v] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      out.push(v);
    }
  }
  return out;
}

/** Keys with a TTL: how many, the longest TTL left, and whether any has none (then the kind is unlimited). */
async function ttlKind(redis: RedisClient, pattern: string) {
  const { groups, count, capped } = await scanKeyGroups(redis, pattern);
  const ttls = (await pipelined(groups, (pipe, k) => pipe.pttl(k))).map(Number);
  const noTtl = ttls.filter((t) => t === -1).length;
  return { items: count, maxTtlMs: ttls.length ? Math.max(0, ...ttls) : 0, noTtl, capped };
}

/** Sorted sets whose scores are capture ms (the per-plate sighting index): the lowest score of any. */
async function plateIndexKind(redis: RedisClient, pattern: string, now: number) {
  const { groups, count, capped } = await scanKeyGroups(redis, pattern);
  const rows = await pipelined(groups, (pipe, k) => pipe.zrange(k, 0, 0, 'WITHSCORES').pttl(k));
  let oldest: number | null = null;
  let noTtl = 0;
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const first = rows[i] as string[];
    if (first[1] !== undefined) oldest = Math.min(oldest ?? Number.POSITIVE_INFINITY, Number(first[1]));
    if (Number(rows[i + 1]) === -1) noTtl++;
  }
  return {
    items: count,
    oldestAgeMs: oldest === null ? null : Math.max(0, now - oldest),
    noTtl,
    capped,
  };
}

async function lowestScoreAge(redis: RedisClient, key: string, now: number): Promise<number | null> {
  const first = await redis.zrange(key, 0, 0, 'WITHSCORES');
  return first[1] === undefined ? null : Math.max(0, now - Number(first[1]));
}

/**
 * Every kind of data that can hold a plate, an image or a read, with its retention setting and the age of
 * its oldest item. Reads only; pattern kinds are found with SCAN (never KEYS), at most 20 000 keys each.
 */
export async function privacyReport(
  redis: RedisClient,
  keys: StreamKeys,
  s: RetentionSettings,
  now = Date.now(),
): Promise<KindReport[]> {
  const out: KindReport[] = [];
  const scanNote = (capped: boolean) => (capped ? `first ${SCAN_CAP} keys examined` : undefined);

  const frames = await streamKind(redis, keys.frames, now);
  out.push({
    kind: 'frames',
    key: keys.frames,
    holds: 'camera images',
    retention: `trimmed once every group has acknowledged them + LPR_FRAME_RETENTION_MS (${fmtMs(s.frameRetentionMs)})`,
    // Undelivered frames stay while the backlog lasts; ingest's backpressure bounds that backlog.
    maxAgeMs: s.frameRetentionMs,
    ...frames,
    note: 'frames not yet processed stay until a worker acknowledges them',
  });

  const results = await streamKind(redis, keys.results, now);
  out.push({
    kind: 'results',
    key: keys.results,
    holds: 'plate reads (plate, camera, time, box)',
    retention:
      s.resultRetention === 'minid'
        ? `RESULTS_RETENTION=minid, RESULTS_RETENTION_MS=${fmtMs(s.resultsRetentionMs)}`
        : `RESULTS_RETENTION=maxlen, RESULTS_MAXLEN=${s.resultsMaxLen} (count only; set RESULTS_RETENTION=minid for an age limit)`,
    maxAgeMs: s.resultRetention === 'minid' ? s.resultsRetentionMs : null,
    ...results,
  });

  const ageOrCount = (ageVar: string, ageMs: number, countVar: string, count: number) =>
    ageMs > 0
      ? `${ageVar}=${fmtMs(ageMs)}, ${countVar}=${count}`
      : `${countVar}=${count} (count only; set ${ageVar} for an age limit)`;

  out.push({
    kind: 'dlq',
    key: keys.dlq,
    holds: 'camera images of failed frames',
    retention: ageOrCount('DLQ_RETENTION_MS', s.dlqRetentionMs, 'DLQ_MAXLEN', s.dlqMaxLen),
    maxAgeMs: s.dlqRetentionMs > 0 ? s.dlqRetentionMs : null,
    ...(await streamKind(redis, keys.dlq, now)),
  });
  out.push({
    kind: 'alerts',
    key: keys.alerts,
    holds: 'watchlist hits (plate, camera, time)',
    retention: ageOrCount('ALERTS_RETENTION_MS', s.alertsRetentionMs, 'ALERTS_MAXLEN', s.alertsMaxLen),
    maxAgeMs: s.alertsRetentionMs > 0 ? s.alertsRetentionMs : null,
    ...(await streamKind(redis, keys.alerts, now)),
  });
  out.push({
    kind: 'events',
    key: keys.events,
    holds: 'vehicle passes (plate, camera, times, reads)',
    retention: ageOrCount('EVENTS_RETENTION_MS', s.eventsRetentionMs, 'EVENTS_MAXLEN', s.eventsMaxLen),
    maxAgeMs: s.eventsRetentionMs > 0 ? s.eventsRetentionMs : null,
    ...(await streamKind(redis, keys.events, now)),
  });
  out.push({
    kind: 'events-by-plate',
    key: `${keys.eventsByPlate}, ${keys.eventsByTime}`,
    holds: 'plate → event index',
    retention: ageOrCount(
      'EVENTS_RETENTION_MS',
      s.eventsRetentionMs,
      'EVENTS_INDEX_MAXLEN',
      s.eventsIndexMaxLen,
    ),
    maxAgeMs: s.eventsRetentionMs > 0 ? s.eventsRetentionMs : null,
    items: await redis.zcard(keys.eventsByTime),
    oldestAgeMs: await lowestScoreAge(redis, keys.eventsByTime, now),
  });
  const stateFields = await redis.hlen(keys.eventsState);
  out.push({
    kind: 'events-state',
    key: `${keys.eventsState}[:<p>]`,
    holds: 'open passes (buffered reads)',
    retention: `passes close after EVENTS_MAX_GAP_MS, or EVENTS_IDLE_FLUSH_MS (${fmtMs(s.eventsIdleFlushMs)}) of a quiet camera`,
    maxAgeMs: s.eventsIdleFlushMs,
    items: stateFields,
    oldestAgeMs: null,
    note: 'one field per camera, rewritten as its passes close',
  });

  const plates = await plateIndexKind(redis, keys.plateIndexPattern('*'), now);
  out.push({
    kind: 'plate-index',
    key: keys.plateIndexPattern('<PLATE>'),
    holds: 'sightings of each plate',
    retention:
      s.plateIndexRetentionMs > 0
        ? `LPR_PLATE_INDEX_RETENTION_MS=${fmtMs(s.plateIndexRetentionMs)} (sightings and key TTL)`
        : 'LPR_PLATE_INDEX_RETENTION_MS=0 (no index is written)',
    maxAgeMs: plates.noTtl > 0 ? null : s.plateIndexRetentionMs,
    items: plates.items,
    oldestAgeMs: plates.oldestAgeMs,
    note: plates.noTtl > 0 ? `${plates.noTtl} keys have no TTL` : scanNote(plates.capped),
  });

  const ttlKinds: {
    kind: string;
    key: string;
    pattern: string;
    holds: string;
    retention: string;
    limit: number;
  }[] = [
    {
      kind: 'watchlist-cache',
      key: `${keys.watchlistCachePattern.slice(0, -1)}<PLATE>`,
      pattern: keys.watchlistCachePattern,
      holds: 'cached watchlist answers per plate',
      retention: `TTL: WATCHLIST_HIT_TTL_MS=${fmtMs(s.watchlistHitTtlMs)}, WATCHLIST_MISS_TTL_MS=${fmtMs(s.watchlistMissTtlMs)}`,
      limit: Math.max(s.watchlistHitTtlMs, s.watchlistMissTtlMs),
    },
    {
      kind: 'alert-windows',
      key: keys.alertWindowPattern('*').replace('*:*', '<camera>:<PLATE>'),
      pattern: keys.alertWindowPattern('*'),
      holds: 'plate and camera of a recent alert',
      retention: `TTL: ALERT_WINDOW_MS=${fmtMs(s.alertWindowMs)}`,
      limit: s.alertWindowMs,
    },
    {
      kind: 'static-references',
      key: keys.staticReference('<camera>'),
      pattern: keys.staticReference('*'),
      holds: 'grey thumbnail of a camera scene',
      retention: `TTL: 2 x LPR_STATIC_MAX_AGE_MS (${fmtMs(2 * s.staticMaxAgeMs)})`,
      limit: Math.max(1000, 2 * s.staticMaxAgeMs),
    },
  ];
  for (const t of ttlKinds) {
    const found = await ttlKind(redis, t.pattern);
    out.push({
      kind: t.kind,
      key: t.key,
      holds: t.holds,
      retention: t.retention,
      maxAgeMs: found.noTtl > 0 ? null : t.limit,
      items: found.items,
      oldestAgeMs: null,
      maxTtlMs: found.maxTtlMs,
      note: found.noTtl > 0 ? `${found.noTtl} keys have no TTL` : scanNote(found.capped),
    });
  }

  const q = webhookQueueKeyPrefix(redis, keys);
  const [completed, failed, waiting, delayed] = await Promise.all([
    redis.zcard(`${q}:completed`),
    redis.zcard(`${q}:failed`),
    redis.llen(`${q}:wait`),
    redis.zcard(`${q}:delayed`),
  ]);
  const ages = [
    await lowestScoreAge(redis, `${q}:completed`, now),
    await lowestScoreAge(redis, `${q}:failed`, now),
  ];
  const known = ages.filter((a): a is number => a !== null);
  out.push({
    kind: 'webhook-jobs',
    key: `${q}:*`,
    holds: 'alert payloads (plate, camera, time) for webhooks',
    retention: `delivered: NOTIFIER_KEEP_COMPLETED_MS=${fmtMs(s.notifierKeepCompletedMs)}; failed: NOTIFIER_KEEP_FAILED_MS=${fmtMs(s.notifierKeepFailedMs)}`,
    maxAgeMs: Math.max(s.notifierKeepCompletedMs, s.notifierKeepFailedMs),
    items: completed + failed + waiting + delayed,
    oldestAgeMs: known.length ? Math.max(...known) : null,
    note: `${completed} delivered, ${failed} failed, ${waiting + delayed} waiting`,
  });

  out.push({
    kind: 'audit',
    key: keys.auditLog,
    holds: 'who searched for which plate, watchlist changes, erasures',
    retention: `AUDIT_RETENTION_MS=${fmtMs(s.auditRetentionMs)} (stream and the audit_log table)`,
    maxAgeMs: s.auditRetentionMs,
    ...(await streamKind(redis, keys.auditLog, now)),
  });
  return out;
}

/** Kinds with no age limit (what `--strict` fails on). */
export function unlimitedKinds(report: readonly KindReport[]): string[] {
  return report.filter((k) => k.maxAgeMs === null).map((k) => k.kind);
}

export function formatAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}
