import { webhookQueue, webhookQueueKeyPrefix } from '../alerts/index.ts';
import type { RedisClient } from '../shared/redis/connection.ts';
import { deleteKeys } from '../shared/redis/delete-keys.ts';
import { scanKeys } from '../shared/redis/scan-keys.ts';
import { decodeEvent } from '../shared/codec/event-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { platesPseudonymised, type StreamKeys } from '../shared/redis/keys.ts';

/** What `erase` removed (or, with dryRun, would remove), by kind. */
export interface ErasureCounts {
  results: number;
  frames: number;
  events: number;
  'events-index': number;
  alerts: number;
  'webhook-jobs': number;
  'plate-index': number;
  'watchlist-cache': number;
  'alert-windows': number;
}

export interface ErasureReport {
  /** The plate asked for (normalised). */
  plate: string;
  /** Every plate erased: the plate, plus indexed plates within edit distance 1 with `fuzzy`. */
  plates: string[];
  dryRun: boolean;
  removed: ErasureCounts;
}

export interface EraseOptions {
  /** Count only; change nothing. */
  dryRun?: boolean;
  /** Also erase plates of the sighting index within edit distance 1 (found with SCAN over the index keys). */
  fuzzy?: boolean;
  /** Entries per XRANGE page in the bounded scans (alerts stream, webhook jobs). */
  pageSize?: number;
  /**
   * Only alerts written since this time (ms) are scanned, and only the webhook jobs of the alerts found
   * (the housekeeping's re-run of a recent erasure, which must stay cheap).
   */
  sinceMs?: number;
}

const BATCH = 500;

/**
 * Erases one plate: its reads (results), the frames (images) of those reads still in the frames stream, its
 * events and their per-plate index entries, the reads of those events (the same vehicle pass), its alerts
 * and their webhook jobs, its sighting index, cached watchlist answers and alert windows.
 *
 * Results and events are found through the per-plate indexes (the sighting zset holds result ids; the events
 * by-plate index holds event ids) and deleted by id with XDEL, never by scanning those streams. Alerts have no
 * per-plate index: the alerts stream (capped by ALERTS_MAXLEN / ALERTS_RETENTION_MS) is scanned page by page,
 * and so are the webhook jobs. Every step is idempotent (XDEL, ZREM, DEL of what is gone do nothing), so a
 * second run removes nothing; it is safe while the pipeline runs (a read written after the run is not erased:
 * run it again).
 */
export async function erasePlate(
  redis: RedisClient,
  keys: StreamKeys,
  plate: string,
  opts: EraseOptions = {},
): Promise<ErasureReport> {
  const dryRun = opts.dryRun ?? false;
  const pageSize = opts.pageSize ?? 1000;
  const plates = opts.fuzzy ? [plate, ...(await nearPlates(redis, keys, plate))] : [plate];
  const plateSet = new Set(plates);
  const removed: ErasureCounts = {
    results: 0,
    frames: 0,
    events: 0,
    'events-index': 0,
    alerts: 0,
    'webhook-jobs': 0,
    'plate-index': 0,
    'watchlist-cache': 0,
    'alert-windows': 0,
  };

  const resultIds = new Set<string>();
  const frameIds = new Set<string>();
  const eventIds = new Set<string>();
  const indexMembers: string[] = [];
  for (const p of plates) {
    for (const member of await redis.zrange(keys.plateIndex(p), 0, -1)) {
      const id = member.split('|')[0];
      if (id) resultIds.add(id);
      removed['plate-index']++;
    }
    for (const member of await redis.zrangebylex(keys.eventsByPlate, `[${p}:`, `[${p};`)) {
      indexMembers.push(member);
      eventIds.add(member.slice(member.lastIndexOf(':') + 1));
    }
  }

  // Events: their reads are the same vehicle pass, so they go with them.
  const events = await readByIds(redis, keys.events, [...eventIds]);
  for (const [id, fields] of events) {
    const event = decodeEvent(id, fields);
    if (event.bestFrame) frameIds.add(event.bestFrame);
    for (const read of event.results) {
      if (read.id) resultIds.add(read.id);
      if (read.frame) frameIds.add(read.frame);
    }
  }
  const results = await readByIds(redis, keys.results, [...resultIds]);
  for (const [, fields] of results) {
    const frame = fieldMap(fields).frame;
    if (frame) frameIds.add(frame);
  }

  // Alerts: no per-plate index; a bounded scan of the (capped) alerts stream.
  const alertIds: string[] = [];
  let start = opts.sinceMs === undefined ? '-' : `${opts.sinceMs}-0`;
  for (;;) {
    const page = (await redis.xrange(keys.alerts, start, '+', 'COUNT', pageSize)) as [string, string[]][];
    for (const [id, fields] of page) {
      const f = fieldMap(fields);
      if (plateSet.has(f.plate ?? '') || plateSet.has(f.watchPlate ?? '')) {
        alertIds.push(id);
        if (f.frame) frameIds.add(f.frame);
      }
    }
    if (page.length < pageSize) break;
    start = `(${page[page.length - 1]![0]}`;
  }
  const jobIds =
    opts.sinceMs === undefined
      ? await webhookJobsOf(redis, keys, plateSet, new Set(alertIds))
      : await existingJobs(redis, keys, alertIds);
  const frames = await readByIds(redis, keys.frames, [...frameIds]);

  const windowKeys: string[] = [];
  const cacheKeys: string[] = [];
  for (const p of plates) {
    windowKeys.push(...(await scanAll(redis, keys.alertWindowPattern(p))));
    for (const k of [keys.watchlistCache(p), keys.watchlistFill(p)])
      if (await redis.exists(k)) cacheKeys.push(k);
  }

  if (dryRun) {
    removed.results = results.length;
    removed.frames = frames.length;
    removed.events = events.length;
    removed['events-index'] = indexMembers.length;
    removed.alerts = alertIds.length;
    removed['webhook-jobs'] = jobIds.length;
    removed['watchlist-cache'] = cacheKeys.length;
    removed['alert-windows'] = windowKeys.length;
    return { plate, plates, dryRun, removed };
  }

  removed.results = await xdel(
    redis,
    keys.results,
    results.map(([id]) => id),
  );
  removed.frames = await xdel(
    redis,
    keys.frames,
    frames.map(([id]) => id),
  );
  removed.events = await xdel(
    redis,
    keys.events,
    events.map(([id]) => id),
  );
  removed.alerts = await xdel(redis, keys.alerts, alertIds);
  for (let i = 0; i < indexMembers.length; i += BATCH) {
    const batch = indexMembers.slice(i, i + BATCH);
    const [[, n]] = (await redis
      .multi()
      .zrem(keys.eventsByPlate, ...batch)
      .zrem(keys.eventsByTime, ...batch)
      .exec()) as [[unknown, number], [unknown, number]];
    removed['events-index'] += Number(n);
  }
  if (jobIds.length) {
    const queue = webhookQueue(redis, keys);
    try {
      for (const id of jobIds) removed['webhook-jobs'] += await queue.remove(id);
    } finally {
      await queue.close();
    }
  }
  if (cacheKeys.length) removed['watchlist-cache'] = await deleteKeys(redis, cacheKeys);
  if (windowKeys.length) removed['alert-windows'] = await deleteKeys(redis, windowKeys);
  await deleteKeys(
    redis,
    plates.map((p) => keys.plateIndex(p)),
  );
  return { plate, plates, dryRun, removed };
}

function fieldMap(fields: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1];
  return out;
}

/** The entries of `stream` with these ids that still exist (XRANGE id id, pipelined). */
async function readByIds(redis: RedisClient, stream: string, ids: string[]): Promise<[string, string[]][]> {
  const out: [string, string[]][] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const pipe = redis.pipeline();
    for (const id of ids.slice(i, i + BATCH)) pipe.xrange(stream, id, id);
    for (const [err, rows] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      for (const row of rows as [string, string[]][]) out.push(row);
    }
  }
  return out;
}

async function xdel(redis: RedisClient, stream: string, ids: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += BATCH) n += await redis.xdel(stream, ...ids.slice(i, i + BATCH));
  return n;
}

/** Every key matching `pattern` (SCAN on every master of a cluster). */
async function scanAll(redis: RedisClient, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of scanKeys(redis, pattern, { count: 1000 })) out.push(...batch.keys);
  return out;
}

/** Whether two texts are at most one insertion, deletion or substitution apart. */
export function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length > b.length) [a, b] = [b, a];
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  // a is the shorter (or equal): skip one character of b, or substitute one of each.
  return a.slice(i) === b.slice(i + 1) || (a.length === b.length && a.slice(i + 1) === b.slice(i + 1));
}

/** Plates of the sighting index within edit distance 1 of `plate` (SCAN over the index keys). */
async function nearPlates(redis: RedisClient, keys: StreamKeys, plate: string): Promise<string[]> {
  if (platesPseudonymised())
    throw new PlatestreamError(
      'USAGE',
      '--fuzzy needs plate texts in the index key names; with LPR_PLATE_KEY erase each plate by its whole text',
    );
  const base = keys.plateIndexPattern('');
  const out = new Set<string>();
  for (const key of await scanAll(redis, keys.plateIndexPattern('*'))) {
    const p = key.slice(base.length);
    if (p !== plate && withinOneEdit(p, plate)) out.add(p);
  }
  return [...out].sort();
}

async function existingJobs(redis: RedisClient, keys: StreamKeys, alertIds: string[]): Promise<string[]> {
  const q = webhookQueueKeyPrefix(redis, keys);
  const out: string[] = [];
  for (const id of alertIds) if (await redis.exists(`${q}:${id}`)) out.push(id);
  return out;
}

/**
 * Remembers an erasure for `windowMs` so that housekeeping erases reads of these plates that land later
 * (frames in flight while `erase` ran): member `<PLATE>|<until ms>` in StreamKeys.erasures.
 */
export async function rememberErasure(
  redis: RedisClient,
  keys: StreamKeys,
  plates: string[],
  windowMs: number,
): Promise<void> {
  if (windowMs <= 0) return;
  const now = Date.now();
  const tx = redis.multi();
  for (const p of plates) tx.zadd(keys.erasures, now, `${p}|${now + windowMs}`);
  await tx.exec();
}

/**
 * One housekeeping round of recent erasures: erases again (reads, frames, events, alerts since the erasure)
 * every plate whose window is open, forgets the closed ones. Returns the items removed.
 */
export async function reapplyErasures(
  redis: RedisClient,
  keys: StreamKeys,
  now = Date.now(),
): Promise<number> {
  const rows = await redis.zrange(keys.erasures, 0, -1, 'WITHSCORES');
  let removed = 0;
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const member = rows[i]!;
    const bar = member.lastIndexOf('|');
    const plate = member.slice(0, bar);
    if (Number(member.slice(bar + 1)) < now) {
      await redis.zrem(keys.erasures, member);
      continue;
    }
    const r = await erasePlate(redis, keys, plate, { sinceMs: Number(rows[i + 1]) });
    removed += Object.values(r.removed).reduce((a, b) => a + b, 0);
  }
  return removed;
}

/**
 * Webhook jobs (job id = alert id) of the erased alerts, and of older alerts of these plates already trimmed
 * from the stream (their job data carries the alert): every job id in the queue's sets is checked.
 */
async function webhookJobsOf(
  redis: RedisClient,
  keys: StreamKeys,
  plates: Set<string>,
  alertIds: Set<string>,
): Promise<string[]> {
  const q = webhookQueueKeyPrefix(redis, keys);
  const ids = new Set<string>();
  for (const set of ['completed', 'failed', 'delayed', 'prioritized', 'waiting-children'])
    for (const id of await redis.zrange(`${q}:${set}`, 0, -1)) ids.add(id);
  for (const list of ['wait', 'active', 'paused'])
    for (const id of await redis.lrange(`${q}:${list}`, 0, -1)) ids.add(id);
  const out: string[] = [];
  const all = [...ids];
  for (let i = 0; i < all.length; i += BATCH) {
    const batch = all.slice(i, i + BATCH);
    const pipe = redis.pipeline();
    for (const id of batch) pipe.hget(`${q}:${id}`, 'data');
    const rows = (await pipe.exec()) ?? [];
    batch.forEach((id, j) => {
      if (alertIds.has(id)) {
        out.push(id);
        return;
      }
      const data = rows[j]?.[1];
      if (typeof data !== 'string') return;
      try {
        const alert = (JSON.parse(data) as { alert?: { plate?: string; watchPlate?: string } }).alert;
        if (alert && (plates.has(alert.plate ?? '') || plates.has(alert.watchPlate ?? ''))) out.push(id);
      } catch {
        // not a job of ours
      }
    });
  }
  return out;
}
