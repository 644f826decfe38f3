import type { RedisClient } from '../shared/redis/connection.ts';
import { COUNTER, EVENTS_GROUP, type StreamKeys, WORKER_GROUP } from '../shared/redis/keys.ts';
import { asPartitions, type Partitions } from '../shared/redis/partitions.ts';
import { type AppendOnly, readAppendOnly } from '../shared/redis/persistence.ts';
import {
  compareIds,
  fieldPairs,
  type GroupInfo,
  nullableNumber,
  parseGroupInfo,
} from '../shared/redis/stream/index.ts';

/** One consumer group on the frames stream, as `stats` shows it. */
export type GroupStats = GroupInfo;

export interface ConsumerStats {
  name: string;
  pending: number;
  idleMs: number;
  /**
   * Whether the worker behind this consumer sends heartbeats (WORKER_HEARTBEAT_MS): false for a consumer
   * whose process died (SIGKILL, crash, lost host) or was stopped without leaving the group.
   */
  alive: boolean;
}

/** Heartbeat deadlines of the workers (ms epoch, Redis clock) and Redis's time now. */
export async function readHeartbeats(
  redis: RedisClient,
  keys: StreamKeys,
): Promise<{ now: number; deadlines: Map<string, number> }> {
  const replies = await redis.pipeline().time().zrange(keys.workerHeartbeats, 0, -1, 'WITHSCORES').exec();
  const [[timeErr, time], [zErr, flat]] = replies as [[Error | null, unknown], [Error | null, unknown]];
  if (timeErr) throw timeErr;
  if (zErr) throw zErr;
  const [sec, usec] = time as [string, string];
  const now = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  const deadlines = new Map<string, number>();
  const list = flat as string[];
  for (let i = 0; i + 1 < list.length; i += 2) deadlines.set(list[i]!, Number(list[i + 1]));
  return { now, deadlines };
}

/** The consumers of `group` with their pending count, idle time and liveness. */
export async function readConsumers(
  redis: RedisClient,
  keys: StreamKeys,
  group: string,
): Promise<ConsumerStats[]> {
  const { now, deadlines } = await readHeartbeats(redis, keys);
  return ((await redis.xinfo('CONSUMERS', keys.frames, group)) as unknown[]).map((c) => {
    const p = fieldPairs(c);
    const name = String(p.name);
    return {
      name,
      pending: Number(p.pending),
      idleMs: Number(p.idle),
      alive: (deadlines.get(name) ?? 0) > now,
    };
  });
}

export interface PipelineStats {
  at: string;
  prefix: string;
  frames: { length: number; memoryBytes: number | null; firstId: string | null; lastId: string | null };
  groups: GroupStats[];
  /** Consumers of the `workers` group. */
  consumers: ConsumerStats[];
  results: { length: number; memoryBytes: number | null; lastMinute: number; framesPerSecond: number };
  dlq: { length: number };
  counters: Record<string, number>;
  events: EventsStats;
  /** Redis persistence: exactly-once needs appendonly yes (`unknown` when CONFIG is refused). */
  redis: { appendonly: AppendOnly };
  /** LPR_PARTITIONS; with more than one, the figures above are sums and `byPartition` has each one's. */
  partitions: number;
  byPartition?: PartitionStats[];
}

/** One partition's share (LPR_PARTITIONS > 1). */
export interface PartitionStats {
  partition: number;
  frames: number;
  backlog: number;
  results: number;
  dlq: number;
}

/** The events stage as `stats` shows it (all zero / empty when it never ran). */
export interface EventsStats {
  /** Events stream length (bounded by EVENTS_MAXLEN) and events written in the last minute. */
  length: number;
  lastMinute: number;
  /** Events written since the counters were created (`events:emitted`). */
  emitted: number;
  /** Results that arrived after their camera's watermark (`events:late`); passes dropped (`events:dropped-passes`). */
  lateResults: number;
  droppedPasses: number;
  /** Pass fragments joined to their vehicle's pass (`events:merged-passes`). */
  mergedPasses: number;
  /** Running events processes (heartbeat in `events:alive`). */
  processes: number;
  /** One per partition: its consumer group on the results stream, open passes and cameras, lease holder. */
  partitions: EventsPartitionStats[];
}

export interface EventsPartitionStats {
  /** Partition number, from the group name (`events` = 0 of 1, `events-<p>` = p). */
  index: number;
  group: GroupStats;
  /** Cameras with open state and the passes open on them. */
  cameras: number;
  openPasses: number;
  /** Reads waiting for their camera's watermark. */
  bufferedReads: number;
  /** The process holding the partition's lease (`<owner>`), or null when none does. */
  holder: string | null;
}

/** How many result ids the frames/s estimate reads at most (a cap for very busy pipelines). */
const RATE_SCAN_CAP = 500_000;

async function memoryUsage(redis: RedisClient, key: string): Promise<number | null> {
  try {
    return nullableNumber(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '5'));
  } catch {
    return null;
  }
}

/** Counts result entries written in the last `windowMs` (by entry id time, on the server's clock). */
export async function countRecentResults(
  redis: RedisClient,
  key: string,
  windowMs = 60_000,
): Promise<number> {
  const [sec, usec] = (await redis.time()) as [number | string, number | string];
  const nowMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  let start = `${nowMs - windowMs}-0`;
  let count = 0;
  while (count < RATE_SCAN_CAP) {
    const rows = (await redis.xrange(key, start, '+', 'COUNT', 2000)) as [string, string[]][];
    count += rows.length;
    if (rows.length < 2000) break;
    start = `(${rows[rows.length - 1]![0]}`;
  }
  return count;
}

/**
 * The pipeline's state. With several partitions (LPR_PARTITIONS): lengths, memory, lag, pending and counters
 * are summed over the partitions, a worker is listed once (pending summed, alive when it beats in any), and
 * `byPartition` shows each partition's frames, backlog, results and DLQ.
 */
export async function collectStats(
  redis: RedisClient,
  keys: StreamKeys | Partitions,
): Promise<PipelineStats> {
  const parts = asPartitions(keys);
  if (parts.count === 1) return { ...(await collectPartitionStats(redis, parts.all[0]!)), partitions: 1 };
  const each = await Promise.all(parts.all.map((k) => collectPartitionStats(redis, k)));
  const groups = new Map<string, GroupStats>();
  const consumers = new Map<string, ConsumerStats>();
  const counters: Record<string, number> = {};
  for (const s of each) {
    for (const g of s.groups) {
      const prev = groups.get(g.name);
      groups.set(
        g.name,
        prev
          ? {
              ...prev,
              pending: prev.pending + g.pending,
              lag: prev.lag === null || g.lag === null ? null : prev.lag + g.lag,
              consumers: Math.max(prev.consumers, g.consumers),
            }
          : { ...g },
      );
    }
    for (const c of s.consumers) {
      const prev = consumers.get(c.name);
      consumers.set(
        c.name,
        prev
          ? {
              ...prev,
              pending: prev.pending + c.pending,
              idleMs: Math.min(prev.idleMs, c.idleMs),
              alive: prev.alive || c.alive,
            }
          : { ...c },
      );
    }
    for (const [k, v] of Object.entries(s.counters)) counters[k] = (counters[k] ?? 0) + v;
  }
  const sum = (f: (s: Omit<PipelineStats, 'partitions'>) => number) => each.reduce((a, s) => a + f(s), 0);
  const sumNullable = (f: (s: Omit<PipelineStats, 'partitions'>) => number | null) =>
    each.some((s) => f(s) === null) ? null : sum((s) => f(s) ?? 0);
  const firsts = each.map((s) => s.frames.firstId).filter((x): x is string => x !== null);
  const lasts = each.map((s) => s.frames.lastId).filter((x): x is string => x !== null);
  const lastMinute = sum((s) => s.results.lastMinute);
  return {
    at: new Date().toISOString(),
    prefix: parts.prefix,
    frames: {
      length: sum((s) => s.frames.length),
      memoryBytes: sumNullable((s) => s.frames.memoryBytes),
      firstId: firsts.sort(compareIds)[0] ?? null,
      lastId: lasts.sort(compareIds).at(-1) ?? null,
    },
    groups: [...groups.values()],
    consumers: [...consumers.values()],
    results: {
      length: sum((s) => s.results.length),
      memoryBytes: sumNullable((s) => s.results.memoryBytes),
      lastMinute,
      framesPerSecond: Math.round((lastMinute / 60) * 100) / 100,
    },
    dlq: { length: sum((s) => s.dlq.length) },
    counters,
    events: mergeEvents(each.map((s) => s.events)),
    redis: each[0]!.redis,
    partitions: parts.count,
    byPartition: each.map((s, p) => {
      const g = s.groups.find((x) => x.name === WORKER_GROUP);
      return {
        partition: p,
        frames: s.frames.length,
        backlog: g ? g.pending + (g.lag ?? 0) : s.frames.length,
        results: s.results.length,
        dlq: s.dlq.length,
      };
    }),
  };
}

/** The events stage over LPR_PARTITIONS partitions (each its own results and events streams): sums; groups listed per partition. */
function mergeEvents(each: readonly EventsStats[]): EventsStats {
  const sum = (f: (e: EventsStats) => number) => each.reduce((a, e) => a + f(e), 0);
  return {
    length: sum((e) => e.length),
    lastMinute: sum((e) => e.lastMinute),
    emitted: sum((e) => e.emitted),
    lateResults: sum((e) => e.lateResults),
    droppedPasses: sum((e) => e.droppedPasses),
    mergedPasses: sum((e) => e.mergedPasses),
    processes: Math.max(0, ...each.map((e) => e.processes)),
    partitions: each.flatMap((e, p) => e.partitions.map((x) => ({ ...x, index: p }))),
  };
}

async function collectPartitionStats(
  redis: RedisClient,
  keys: StreamKeys,
): Promise<Omit<PipelineStats, 'partitions'>> {
  const framesExists = (await redis.exists(keys.frames)) === 1;
  const frameInfo = framesExists ? fieldPairs(await redis.xinfo('STREAM', keys.frames)) : {};
  const first = frameInfo['first-entry'] as [string, unknown] | null | undefined;
  const last = frameInfo['last-entry'] as [string, unknown] | null | undefined;
  const groups: GroupStats[] = framesExists ? parseGroupInfo(await redis.xinfo('GROUPS', keys.frames)) : [];
  const consumers: ConsumerStats[] = groups.some((g) => g.name === WORKER_GROUP)
    ? await readConsumers(redis, keys, WORKER_GROUP)
    : [];
  const lastMinute = await countRecentResults(redis, keys.results);
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(await redis.hgetall(keys.counters))) counters[k] = Number(v);
  return {
    at: new Date().toISOString(),
    prefix: keys.prefix,
    frames: {
      length: framesExists ? Number(frameInfo.length) : 0,
      memoryBytes: framesExists ? await memoryUsage(redis, keys.frames) : 0,
      firstId: first ? String(first[0]) : null,
      lastId: last ? String(last[0]) : null,
    },
    groups,
    consumers,
    results: {
      length: await redis.xlen(keys.results),
      memoryBytes: await memoryUsage(redis, keys.results),
      lastMinute,
      framesPerSecond: Math.round((lastMinute / 60) * 100) / 100,
    },
    dlq: { length: await redis.xlen(keys.dlq) },
    counters,
    events: await collectEventsStats(redis, keys, counters),
    redis: { appendonly: await readAppendOnly(redis) },
  };
}

/**
 * The events stage: its groups on the results stream (one per partition: `events`, or `events-<p>` with
 * EVENTS_PARTITIONS > 1), each partition's open state (cameras, open passes, buffered reads) and lease holder,
 * the live events processes, the events stream and the stage's counters.
 */
export async function collectEventsStats(
  redis: RedisClient,
  keys: StreamKeys,
  counters: Readonly<Record<string, number>>,
): Promise<EventsStats> {
  const resultsExist = (await redis.exists(keys.results)) === 1;
  const groups = resultsExist
    ? parseGroupInfo(await redis.xinfo('GROUPS', keys.results)).filter(
        (g) => g.name === EVENTS_GROUP || new RegExp(`^${EVENTS_GROUP}-\\d+$`).test(g.name),
      )
    : [];
  const partitions: EventsPartitionStats[] = [];
  for (const group of groups) {
    const index = group.name === EVENTS_GROUP ? 0 : Number(group.name.slice(EVENTS_GROUP.length + 1));
    // Key names only tell one partition (n = 1) from several; the group name says which.
    const n = group.name === EVENTS_GROUP ? 1 : Math.max(2, groups.length);
    const states = await redis.hvals(keys.eventsPartitionState(index, n));
    let openPasses = 0;
    let bufferedReads = 0;
    for (const raw of states) {
      try {
        const st = JSON.parse(raw) as { passes?: unknown[]; buffer?: unknown[] };
        openPasses += st.passes?.length ?? 0;
        bufferedReads += st.buffer?.length ?? 0;
      } catch {
        // A state the stage cannot have written; the stage itself reports it when it loads it.
      }
    }
    const lease = await redis.get(keys.eventsPartitionLock(index, n));
    partitions.push({
      index,
      group,
      cameras: states.length,
      openPasses,
      bufferedReads,
      holder: lease ? lease.slice(lease.indexOf(':') + 1) : null,
    });
  }
  partitions.sort((a, b) => a.index - b.index);
  // Heartbeat scores are on the events processes' clocks (as the processes compare them).
  const processes = await redis.zcount(keys.eventsAlive, `(${Date.now()}`, '+inf');
  const eventsExist = (await redis.exists(keys.events)) === 1;
  return {
    length: eventsExist ? await redis.xlen(keys.events) : 0,
    lastMinute: eventsExist ? await countRecentResults(redis, keys.events) : 0,
    emitted: counters[COUNTER.eventsEmitted] ?? 0,
    lateResults: counters[COUNTER.lateResults] ?? 0,
    droppedPasses: counters[COUNTER.droppedPasses] ?? 0,
    mergedPasses: counters[COUNTER.mergedPasses] ?? 0,
    processes,
    partitions,
  };
}

function bytes(n: number | null): string {
  if (n === null) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3600_000).toFixed(1)} h`;
}

const APPENDONLY_NOTE: Record<AppendOnly, string> = {
  yes: '',
  no: '  WARNING: a Redis crash loses acknowledged frames; set appendonly yes',
  unknown: ' (CONFIG GET refused or renamed; check that the server runs with appendonly yes)',
};

export function formatStats(s: PipelineStats): string {
  const lines = [
    `platestream stats  prefix=${s.prefix}  at ${s.at}`,
    '',
    `frames    ${s.frames.length} entries, ${bytes(s.frames.memoryBytes)}`,
    `results   ${s.results.length} entries, ${bytes(s.results.memoryBytes)}; last minute ${s.results.lastMinute} (${s.results.framesPerSecond} frames/s)`,
    `dlq       ${s.dlq.length} entries`,
    `redis     appendonly ${s.redis.appendonly}${APPENDONLY_NOTE[s.redis.appendonly]}`,
  ];
  if (s.byPartition) {
    lines.push('', `partitions ${s.partitions} (LPR_PARTITIONS; figures above are sums)`);
    for (const b of s.byPartition)
      lines.push(
        `  ${String(b.partition).padStart(3)}  frames ${String(b.frames).padStart(8)}  backlog ${String(b.backlog).padStart(8)}  results ${String(b.results).padStart(9)}  dlq ${String(b.dlq).padStart(6)}`,
      );
  }
  lines.push('', 'groups');
  if (s.groups.length === 0) lines.push('  (none)');
  for (const g of s.groups) {
    lines.push(
      `  ${g.name.padEnd(16)} lag ${String(g.lag ?? '?').padStart(8)}  pending ${String(g.pending).padStart(8)}  consumers ${g.consumers}`,
    );
  }
  const live = s.consumers.filter((c) => c.alive);
  const dead = s.consumers.filter((c) => !c.alive);
  const consumerLine = (c: ConsumerStats) =>
    `  ${c.name.padEnd(32)} pending ${String(c.pending).padStart(6)}  idle ${duration(c.idleMs)}`;
  lines.push('', `live workers (${WORKER_GROUP}): ${live.length}`);
  if (live.length === 0) lines.push('  (none)');
  for (const c of live) lines.push(consumerLine(c));
  if (dead.length > 0) {
    lines.push(
      '',
      `dead consumers: ${dead.length} (no heartbeat; their pending frames are reclaimed by live workers, housekeeping removes them once they own nothing)`,
    );
    for (const c of dead) lines.push(consumerLine(c));
  }
  lines.push('', ...formatEvents(s.events));
  const counters = Object.entries(s.counters);
  if (counters.length > 0) {
    lines.push('', 'counters');
    for (const [k, v] of counters) lines.push(`  ${k.padEnd(24)} ${v}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatEvents(e: EventsStats): string[] {
  if (e.partitions.length === 0 && e.length === 0)
    return ['events stage: not started (no events group on results)'];
  const lines = [
    `events stage: ${e.processes} process${e.processes === 1 ? '' : 'es'} alive; events ${e.length} entries, last minute ${e.lastMinute}; emitted ${e.emitted}, late results ${e.lateResults}, dropped passes ${e.droppedPasses}, merged fragments ${e.mergedPasses}`,
  ];
  for (const p of e.partitions) {
    lines.push(
      `  ${p.group.name.padEnd(16)} lag ${String(p.group.lag ?? '?').padStart(8)}  pending ${String(p.group.pending).padStart(8)}  open passes ${String(p.openPasses).padStart(4)} on ${p.cameras} camera${p.cameras === 1 ? '' : 's'}  buffered ${p.bufferedReads}  holder ${p.holder ?? '(none)'}`,
    );
  }
  return lines;
}

/**
 * Lag, pending and consumer counts of one group, for the worker's /metrics gauges: `consumers` counts the
 * live ones (with a heartbeat), `deadConsumers` those still listed without one. Redis 7.0 reports lag as
 * nil after deletions ahead of the group; then XLEN - pending is used (an upper bound).
 */
export async function readGroupStats(
  redis: RedisClient,
  keys: StreamKeys,
  group: string,
): Promise<{ lag: number; pending: number; consumers: number; deadConsumers: number } | undefined> {
  const stream = keys.frames;
  const g = parseGroupInfo(await redis.xinfo('GROUPS', stream)).find((p) => p.name === group);
  if (!g) return undefined;
  const lag = g.lag ?? Math.max(0, (await redis.xlen(stream)) - g.pending);
  const consumers = await readConsumers(redis, keys, group);
  const live = consumers.filter((c) => c.alive).length;
  return { lag, pending: g.pending, consumers: live, deadConsumers: consumers.length - live };
}
