import type { RedisClient } from '../shared/redis/connection.ts';
import { asRedisError } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { isRedisError, parseGroupInfo } from '../shared/redis/stream/index.ts';

/** One reading of how far the consumer group is behind and how much memory the frames stream uses. */
export interface BacklogReading {
  /** pending + lag of the group; when Redis reports no lag, max(length, pending) (an upper bound). */
  backlog: number;
  pending: number;
  /** Entries not yet delivered to the group; null when Redis 7.0 cannot tell (deleted entries ahead). */
  lag: number | null;
  /** XLEN of the frames stream. */
  length: number;
  /** MEMORY USAGE of the frames stream (sampled), bytes. */
  memoryBytes: number;
  /**
   * MEMORY USAGE (sampled) of the other streams the pipeline keeps in Redis: the DLQ (whole images), the
   * results and the events. They count against the same memory budget as the frames.
   */
  otherBytes: { dlq: number; results: number; events: number };
  /** Whether the consumer group exists. */
  groupExists: boolean;
  /** Date.now() when taken. */
  at: number;
}

/** Reads group lag/pending (XINFO GROUPS), XLEN and MEMORY USAGE of every stream in one round trip. */
export async function readBacklog(
  redis: RedisClient,
  keys: StreamKeys,
  group: string,
): Promise<BacklogReading> {
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await redis
      .pipeline()
      .xinfo('GROUPS', keys.frames)
      .xlen(keys.frames)
      .memory('USAGE', keys.frames, 'SAMPLES', 5)
      .memory('USAGE', keys.dlq, 'SAMPLES', 5)
      .memory('USAGE', keys.results, 'SAMPLES', 5)
      .memory('USAGE', keys.events, 'SAMPLES', 5)
      .exec();
  } catch (err) {
    throw asRedisError(err, `reading the backlog of ${keys.frames}`);
  }
  if (!replies)
    throw asRedisError(new Error('Connection is closed'), `reading the backlog of ${keys.frames}`);
  const [groupsReply, lenReply, memReply, dlqReply, resultsReply, eventsReply] = replies as [
    Error | null,
    unknown,
  ][];
  for (const [err] of [lenReply!, memReply!, dlqReply!, resultsReply!, eventsReply!])
    if (err) throw asRedisError(err, `reading the backlog of ${keys.frames}`);
  const length = Number(lenReply![1] ?? 0);
  const memoryBytes = Number(memReply![1] ?? 0);
  const otherBytes = {
    dlq: Number(dlqReply![1] ?? 0),
    results: Number(resultsReply![1] ?? 0),
    events: Number(eventsReply![1] ?? 0),
  };
  let groupExists = false;
  let pending = 0;
  let lag: number | null = length;
  if (groupsReply![0]) {
    // ERR on a stream that XLEN reports empty: it does not exist yet ("no such key"), nothing is behind.
    if (!(isRedisError(groupsReply![0], 'ERR') && length === 0))
      throw asRedisError(groupsReply![0], 'reading XINFO GROUPS');
  } else {
    const info = parseGroupInfo(groupsReply![1]).find((g) => g.name === group);
    if (info) {
      groupExists = true;
      pending = info.pending;
      lag = info.lag;
    }
  }
  const backlog = !groupExists ? length : lag === null ? Math.max(length, pending) : pending + lag;
  return {
    backlog,
    pending,
    lag: groupExists ? lag : length,
    length,
    memoryBytes,
    otherBytes,
    groupExists,
    at: Date.now(),
  };
}

/**
 * Keeps a recent backlog reading so that admission does not cost an XINFO per request: one refresh at a
 * time, reused for `intervalMs`; frames admitted since the reading are added to the estimate.
 */
export class BacklogMonitor {
  private last: BacklogReading | undefined;
  private refreshing: Promise<BacklogReading> | undefined;
  private admittedSince = 0;
  private bytesSince = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: StreamKeys,
    private readonly group: string,
    private readonly intervalMs: number,
    private readonly onReading?: (r: BacklogReading) => void,
  ) {}

  /** The cached reading, refreshed when older than the interval. Throws REDIS_UNAVAILABLE when Redis is down. */
  async current(): Promise<BacklogReading> {
    const last = this.last;
    if (last && Date.now() - last.at < this.intervalMs) return last;
    this.refreshing ??= readBacklog(this.redis, this.keys, this.group)
      .then((r) => {
        this.last = r;
        this.admittedSince = 0;
        this.bytesSince = 0;
        this.onReading?.(r);
        return r;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Records an admitted frame so the estimate grows between readings. */
  noteAdmitted(bytes: number): void {
    this.admittedSince += 1;
    this.bytesSince += bytes;
  }

  /**
   * Backlog and memory estimate: the last reading plus what this process admitted since. `memoryBytes` is
   * the frames stream; `totalBytes` adds the DLQ, results and events (what the memory budget limits).
   */
  estimate(r: BacklogReading): { backlog: number; memoryBytes: number; totalBytes: number } {
    const memoryBytes = r.memoryBytes + this.bytesSince;
    return {
      backlog: r.backlog + this.admittedSince,
      memoryBytes,
      totalBytes: memoryBytes + otherBytesOf(r),
    };
  }

  /** Forgets the cached reading (after a reconnect or in tests). */
  invalidate(): void {
    this.last = undefined;
  }
}

/** Bytes of the DLQ, results and events streams in a reading. */
export function otherBytesOf(r: Pick<BacklogReading, 'otherBytes'>): number {
  return r.otherBytes.dlq + r.otherBytes.results + r.otherBytes.events;
}
