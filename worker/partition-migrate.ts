import type { RedisClient } from '../shared/redis/connection.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { EVENTS_GROUP, NOTIFIER_GROUP, StreamKeys, WORKER_GROUP, eventsGroup } from '../shared/redis/keys.ts';
import { Partitions } from '../shared/redis/partitions.ts';
import { scanKeys } from '../shared/redis/scan-keys.ts';
import { compareIds, nextId, parseGroupInfo } from '../shared/redis/stream/index.ts';

/**
 * `platestream partitions migrate --to P`: re-lays the data of a stopped, drained pipeline from the stored
 * partition count to P (docs/partitions.md).
 *
 * Refused unless: no worker, events or notifier process is alive (heartbeats, leases), and nothing is in
 * flight: every frame recognised (workers group: no lag, nothing pending), every result consumed by the
 * events stage, every alert handed to the notifier. What it moves, camera by camera to the camera's new
 * partition: the frames still kept (LPR_FRAME_RETENTION_MS), results, dead letters, alerts and events
 * (stream ids kept; an id that two old partitions both used is moved to the next free id in its new
 * stream and counted as `renumbered`), the events stage's open passes, the per-plate sightings and event
 * indexes, alert windows and idempotency keys (with their TTLs); counters are summed into partition 0;
 * recent erasures are copied to every partition. Static-scene references are dropped (the next frame of
 * each camera is read in full). Consumer groups are recreated at the end of their streams.
 *
 * Order: `lpr:meta:partitions` is set to `migrating` first (every process refuses to start meanwhile),
 * the new streams are written under temporary keys in their final hash slot, and only then are the old
 * keys deleted and the new ones renamed into place; the meta key is set to P last. A failure before the
 * switch deletes the temporary keys and restores the meta key.
 */

const KINDS = ['frames', 'results', 'dlq', 'alerts', 'events'] as const;
type Kind = (typeof KINDS)[number];

export interface MigrateReport {
  from: number;
  to: number;
  /** Entries moved per stream kind. */
  moved: Record<Kind, number>;
  /** Entries whose id was taken in the new stream (another old partition used it): moved to the next id. */
  renumbered: number;
  /** Open passes (cameras with events-stage state) moved. */
  openCameras: number;
  /** Keys moved: sightings indexes, alert windows, idempotency keys. */
  keys: number;
  dryRun: boolean;
}

export interface MigrateOptions {
  to: number;
  /** EVENTS_PARTITIONS of the events processes when the target is one partition (their groups are recreated). */
  eventsPartitions?: number;
  dryRun?: boolean;
  /** Hash-tag one partition too (a Redis Cluster: `lpr:{0}:frames`), as partitionsOf does for a cluster URL. */
  hashTag?: boolean;
}

export async function storedPartitions(redis: RedisClient, prefix: string): Promise<number> {
  const g = new StreamKeys(prefix);
  const v = await redis.get(g.partitionsMeta);
  if (v === null) return 1;
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new PlatestreamError(
      'PARTITIONS_MISMATCH',
      `${g.partitionsMeta} is "${v}": a migration did not finish. Inspect the keys under "${prefix}:" (docs/partitions.md, "If a migration fails")`,
    );
  return n;
}

export async function migratePartitions(
  redis: RedisClient,
  prefix: string,
  o: MigrateOptions,
): Promise<MigrateReport> {
  const fromCount = await storedPartitions(redis, prefix);
  const src = new Partitions(prefix, fromCount, { hashTag: o.hashTag });
  const dst = new Partitions(prefix, o.to, { hashTag: o.hashTag });
  const report: MigrateReport = {
    from: fromCount,
    to: o.to,
    moved: { frames: 0, results: 0, dlq: 0, alerts: 0, events: 0 },
    renumbered: 0,
    openCameras: 0,
    keys: 0,
    dryRun: o.dryRun === true,
  };
  await refuseUnlessDrained(redis, src);
  if (fromCount === o.to || o.dryRun) return countOnly(redis, src, report);
  const scan = (pattern: string) => allKeys(redis, pattern);
  const meta = src.global.partitionsMeta;
  await redis.set(meta, `migrating:${fromCount}:${o.to}`);
  const temps: string[] = [];
  /** Old id → new id of moved entries, per kind and old partition (only where they differ or change partition). */
  const idMap = new Map<string, { p: number; id: string }>();
  try {
    for (const kind of KINDS) await moveStream(redis, src, dst, kind, temps, idMap, report);
  } catch (err) {
    if (temps.length) await redis.del(...temps).catch(() => undefined);
    await redis.set(meta, String(fromCount));
    throw err;
  }
  // Switch: old streams out, new ones in (each RENAME stays in one slot).
  for (const k of src.all) await redis.del(k.frames, k.results, k.dlq, k.alerts, k.events);
  for (const k of dst.all)
    for (const kind of KINDS) {
      const tmp = tempKey(k, kind);
      if ((await redis.exists(tmp)) === 1) await redis.rename(tmp, k[kind]);
      await createGroupsAtEnd(redis, k, kind, o.to === 1 ? (o.eventsPartitions ?? 1) : 1);
    }
  await moveHashesAndKeys(redis, src, dst, idMap, report, scan);
  await redis.set(meta, String(o.to));
  return report;
}

/** Temporary key of a new stream, in the same hash slot as the stream itself. */
function tempKey(k: StreamKeys, kind: Kind): string {
  const final = k[kind];
  return k.partition === undefined ? `{${final}}:migrate` : `${final}:migrate`;
}

async function refuseUnlessDrained(redis: RedisClient, src: Partitions): Promise<void> {
  const problems: string[] = [];
  const [sec] = (await redis.time()) as unknown as [string, string];
  const now = Number(sec) * 1000;
  const eventsAlive = await redis.zcount(src.global.eventsAlive, now, '+inf');
  if (eventsAlive > 0) problems.push(`${eventsAlive} events process(es) alive (${src.global.eventsAlive})`);
  for (const [p, k] of src.all.entries()) {
    const where = src.count === 1 ? '' : ` in partition ${p}`;
    const alive = await redis.zcount(k.workerHeartbeats, now, '+inf');
    if (alive > 0) problems.push(`${alive} worker(s) alive${where}`);
    const locks = (await redis.exists(k.housekeepingLock, k.eventsLock)) as number;
    if (locks > 0) problems.push(`a housekeeping or events lease is held${where}`);
    for (const [stream, group, what] of [
      [k.frames, WORKER_GROUP, 'frames not yet recognised'],
      [k.results, EVENTS_GROUP, 'results not yet consumed by the events stage'],
      [k.alerts, NOTIFIER_GROUP, 'alerts not yet handed to the notifier'],
    ] as const) {
      const n = await behind(redis, stream, group);
      if (n > 0) problems.push(`${n} ${what}${where} (group ${group} on ${stream})`);
    }
  }
  if (problems.length > 0)
    throw new PlatestreamError(
      'USAGE',
      `cannot migrate partitions now: ${problems.join('; ')}. Stop ingest and capture, let the workers, events stage and notifier finish (platestream stats shows the backlog), stop them, then run the migration again`,
    );
}

/** Lag + pending of a group (0 when the stream or the group does not exist). */
async function behind(redis: RedisClient, stream: string, group: string): Promise<number> {
  let groups: ReturnType<typeof parseGroupInfo>;
  try {
    groups = parseGroupInfo(await redis.xinfo('GROUPS', stream));
  } catch {
    return 0;
  }
  let n = 0;
  for (const g of groups) {
    // EVENTS_PARTITIONS groups (events-<i>) count as the events stage too.
    if (g.name !== group && !(group === EVENTS_GROUP && g.name.startsWith(`${EVENTS_GROUP}-`))) continue;
    n += g.pending + (g.lag ?? (await redis.xlen(stream)));
  }
  return n;
}

async function countOnly(redis: RedisClient, src: Partitions, report: MigrateReport): Promise<MigrateReport> {
  for (const k of src.all) for (const kind of KINDS) report.moved[kind] += await redis.xlen(k[kind]);
  return report;
}

/**
 * Merges the old partitions' streams of one kind (oldest first, k-way) into the new partitions' temporary
 * streams, each entry to its camera's new partition, keeping its id where it is free.
 */
async function moveStream(
  redis: RedisClient,
  src: Partitions,
  dst: Partitions,
  kind: Kind,
  temps: string[],
  idMap: Map<string, { p: number; id: string }>,
  report: MigrateReport,
): Promise<void> {
  const page = 500;
  const heads = src.all.map((k) => ({
    stream: k[kind],
    rows: [] as [Buffer, Buffer[]][],
    after: '-',
    done: false,
  }));
  const lastWritten = dst.all.map(() => '0-0');
  for (;;) {
    for (const h of heads) {
      if (h.rows.length > 0 || h.done) continue;
      h.rows = (await redis.xrangeBuffer(h.stream, h.after, '+', 'COUNT', page)) as unknown as [
        Buffer,
        Buffer[],
      ][];
      if (h.rows.length < page) h.done = true;
      if (h.rows.length > 0) h.after = `(${h.rows[h.rows.length - 1]![0].toString()}`;
    }
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const r = heads[i]!.rows[0];
      if (!r) continue;
      if (best < 0 || compareIds(r[0].toString(), heads[best]!.rows[0]![0].toString()) < 0) best = i;
    }
    if (best < 0) return;
    const [rawId, fields] = heads[best]!.rows.shift()!;
    const oldId = rawId.toString();
    const camera = fieldOf(fields, 'camera');
    const p = camera === undefined ? 0 : dst.index(camera);
    let id = oldId;
    if (compareIds(id, lastWritten[p]!) <= 0) {
      id = nextId(lastWritten[p]!);
      report.renumbered++;
    }
    const tmp = tempKey(dst.all[p]!, kind);
    if (lastWritten[p] === '0-0' && !temps.includes(tmp)) {
      await redis.del(tmp);
      temps.push(tmp);
    }
    await redis.xadd(tmp, id, ...fields);
    lastWritten[p] = id;
    report.moved[kind]++;
    if (kind === 'results' || kind === 'events') idMap.set(`${kind}/${best}/${oldId}`, { p, id });
  }
}

function fieldOf(fields: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i]!.toString() === name) return fields[i + 1]!.toString();
  return undefined;
}

/** The moved streams' groups start at their end: everything in them was already consumed. */
async function createGroupsAtEnd(
  redis: RedisClient,
  k: StreamKeys,
  kind: Kind,
  eventsPartitions: number,
): Promise<void> {
  const groups =
    kind === 'frames'
      ? [WORKER_GROUP]
      : kind === 'results'
        ? Array.from({ length: eventsPartitions }, (_, i) => eventsGroup(i, eventsPartitions))
        : kind === 'alerts'
          ? [NOTIFIER_GROUP]
          : [];
  for (const g of groups) {
    await redis.xgroup('DESTROY', k[kind], g).catch(() => undefined);
    await redis.xgroup('CREATE', k[kind], g, '$', 'MKSTREAM');
  }
}

async function moveHashesAndKeys(
  redis: RedisClient,
  src: Partitions,
  dst: Partitions,
  idMap: Map<string, { p: number; id: string }>,
  report: MigrateReport,
  scan: (pattern: string) => AsyncIterable<string>,
): Promise<void> {
  const counters = new Map<string, number>();
  const states: [string, string][] = [];
  const erasures: string[] = [];
  let fence = 0;
  const plateMembers: { plate: string; member: string; score: string; ttl: number }[] = [];
  const eventIndex: { member: string; score: string; newP: number }[] = [];
  const moves: { key: string; camera: string; rest: string; prefix: (k: StreamKeys) => string }[] = [];
  for (const [sp, k] of src.all.entries()) {
    for (const [f, v] of Object.entries(await redis.hgetall(k.counters)))
      counters.set(f, (counters.get(f) ?? 0) + Number(v));
    // Open passes: the plain state hash and, with EVENTS_PARTITIONS, its numbered siblings.
    for (const key of [k.eventsState, ...Array.from({ length: 64 }, (_, i) => `${k.eventsState}:${i}`)])
      states.push(...Object.entries(await redis.hgetall(key)));
    erasures.push(...(await redis.zrange(k.erasures, 0, -1, 'WITHSCORES')));
    fence = Math.max(fence, Number((await redis.get(k.fencingCounter)) ?? 0));
    const byPlate = await redis.zrange(k.eventsByPlate, 0, -1);
    const byTime = await redis.zrange(k.eventsByTime, 0, -1, 'WITHSCORES');
    const scoreOf = new Map<string, string>();
    for (let i = 0; i + 1 < byTime.length; i += 2) scoreOf.set(byTime[i]!, byTime[i + 1]!);
    for (const m of byPlate) {
      const cut = m.lastIndexOf(':');
      const moved = idMap.get(`events/${sp}/${m.slice(cut + 1)}`);
      if (moved)
        eventIndex.push({
          member: `${m.slice(0, cut + 1)}${moved.id}`,
          score: scoreOf.get(m) ?? '0',
          newP: moved.p,
        });
    }
    const plateBase = k.plateIndexPattern('');
    for await (const key of scan(k.plateIndexPattern('*'))) {
      const ttl = await redis.pttl(key);
      const rows = await redis.zrange(key, 0, -1, 'WITHSCORES');
      for (let i = 0; i + 1 < rows.length; i += 2) {
        const [rid = '', ...rest] = rows[i]!.split('|');
        const moved = idMap.get(`results/${sp}/${rid}`);
        plateMembers.push({
          plate: key.slice(plateBase.length),
          member: [moved?.id ?? rid, ...rest].join('|'),
          score: rows[i + 1]!,
          ttl,
        });
      }
    }
    for (const prefix of [alertWindowPrefix, idempotencyPrefix]) {
      const base = prefix(k);
      for await (const key of scan(`${base}*`)) {
        const rest = key.slice(base.length);
        const colon = rest.indexOf(':');
        if (colon > 0) moves.push({ key, camera: rest.slice(0, colon), rest: rest.slice(colon + 1), prefix });
      }
    }
  }
  // Old per-partition keys out (the streams are already in place).
  for (const k of src.all) {
    await redis.del(
      k.counters,
      k.eventsState,
      k.erasures,
      k.eventsByPlate,
      k.eventsByTime,
      k.workerHeartbeats,
    );
    for (let i = 0; i < 64; i++) await redis.del(`${k.eventsState}:${i}`);
  }
  const d0 = dst.all[0]!;
  for (const [f, v] of counters) await redis.hincrby(d0.counters, f, v);
  for (const [camera, json] of states) {
    await redis.hset(dst.of(camera).eventsState, camera, json);
    report.openCameras++;
  }
  for (const k of dst.all) {
    if (erasures.length > 0) {
      const args: string[] = [];
      for (let i = 0; i + 1 < erasures.length; i += 2) args.push(erasures[i + 1]!, erasures[i]!);
      await redis.zadd(k.erasures, ...args);
    }
    if (fence > 0) await redis.set(k.fencingCounter, String(fence));
  }
  for (const e of eventIndex) {
    const k = dst.all[e.newP]!;
    await redis.zadd(k.eventsByPlate, 0, e.member);
    await redis.zadd(k.eventsByTime, e.score, e.member);
  }
  // Sightings: the member names the camera (resultId|camera|confidence); the key's plate part is kept as
  // it is (pseudonymised with LPR_PLATE_KEY or not).
  const oldPlateKeys = new Set<string>();
  for (const m of plateMembers) {
    const camera = m.member.split('|')[1] ?? '';
    const key = dst.of(camera).plateIndexPattern(m.plate);
    await redis.zadd(key, m.score, m.member);
    if (m.ttl > 0) await redis.pexpire(key, m.ttl);
    oldPlateKeys.add(m.plate);
  }
  report.keys += oldPlateKeys.size;
  for (const mv of moves) {
    const ttl = await redis.pttl(mv.key);
    const value = await redis.getBuffer(mv.key);
    await redis.del(mv.key);
    if (value === null || ttl === -2) continue;
    const target = `${mv.prefix(dst.of(mv.camera))}${mv.camera}:${mv.rest}`;
    if (ttl > 0) await redis.set(target, value, 'PX', ttl);
    else await redis.set(target, value);
    report.keys++;
  }
}

/** `<base>:alert-window:` of a partition (the key part after it: `<camera>:<plate part>`). */
function alertWindowPrefix(k: StreamKeys): string {
  return k.alertWindowPattern('*').slice(0, -3);
}

/** `<base>:idem:` of a partition (the key part after it: `<camera>:<key>`). */
function idempotencyPrefix(k: StreamKeys): string {
  return k.idempotency('', '').slice(0, -1);
}

/** Every key matching `pattern` (SCAN on every master, never KEYS), each once. */
async function* allKeys(redis: RedisClient, pattern: string): AsyncGenerator<string> {
  const seen = new Set<string>();
  for await (const { keys } of scanKeys(redis, pattern))
    for (const key of keys)
      if (!seen.has(key)) {
        seen.add(key);
        yield key;
      }
}
