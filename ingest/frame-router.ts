import type { RedisClient } from '../shared/redis/connection.ts';
import type { Frame } from '../shared/codec/frame-codec.ts';
import { isPlatestreamError, type PlatestreamError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { WORKER_GROUP } from '../shared/redis/keys.ts';
import { checkPartitions, type Partitions } from '../shared/redis/partitions.ts';
import { type BacklogReading, readBacklog } from './backlog-monitor.ts';
import type { BackpressureOptions } from './config.ts';
import { type AddOptions, type AddResult, FrameProducer, type ProducerHooks } from './producer.ts';

/**
 * Writes each frame to its camera's partition (LPR_PARTITIONS): one FrameProducer per partition, so the
 * frame, its idempotency key and the drop counters stay in that partition's hash slot, and backpressure
 * (LPR_MAX_BACKLOG, LPR_STREAM_MEMORY_BUDGET) applies per partition. With one partition this is exactly
 * the single FrameProducer on `lpr:frames`. Used by ingest, capture and `replay --to redis`.
 *
 * Before the first write (and after each reconnect, through ensureGroups) it checks the partition count the
 * data was written with (checkPartitions); on a mismatch every add() throws PARTITIONS_MISMATCH.
 */
export class FrameRouter {
  readonly producers: readonly FrameProducer[];
  private readonly readings: (BacklogReading | undefined)[];
  private mismatch: PlatestreamError | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly parts: Partitions,
    readonly options: BackpressureOptions,
    hooks: Omit<ProducerHooks, 'onReading'> & { onReading?(total: BacklogTotal): void } = {},
    logger?: Logger,
  ) {
    this.readings = parts.all.map(() => undefined);
    this.producers = parts.all.map(
      (keys, p) =>
        new FrameProducer(
          redis,
          keys,
          options,
          {
            onDropped: hooks.onDropped,
            onReading: (r) => {
              this.readings[p] = r;
              hooks.onReading?.(sumReadings(this.readings));
            },
          },
          logger,
        ),
    );
  }

  /** The producer of a camera's partition. */
  of(camera: string): FrameProducer {
    return this.producers[this.parts.index(camera)]!;
  }

  /** Admits one frame into its camera's partition; throws BACKPRESSURE, REDIS_UNAVAILABLE, PARTITIONS_MISMATCH. */
  add(frame: Frame, opts: AddOptions = {}): Promise<AddResult> {
    if (this.mismatch) return Promise.reject(this.mismatch);
    return this.of(frame.camera).add(frame, opts);
  }

  /**
   * Checks the partition count, then creates the `workers` group on every partition's frames stream when
   * missing and forgets the cached backlog readings. Idempotent; call after every (re)connect.
   */
  async ensureGroups(): Promise<void> {
    try {
      await checkPartitions(this.redis, this.parts);
      this.mismatch = undefined;
    } catch (err) {
      if (isPlatestreamError(err, 'PARTITIONS_MISMATCH')) this.mismatch = err;
      throw err;
    }
    for (const p of this.producers) {
      p.monitor.invalidate();
      await p.ensureGroup();
    }
  }

  /** Backlog of every partition, read now (for /readyz and the /metrics gauges). */
  async readBacklog(): Promise<BacklogTotal & { partitions: BacklogReading[] }> {
    const partitions = await Promise.all(this.parts.all.map((k) => readBacklog(this.redis, k, WORKER_GROUP)));
    return { ...sumReadings(partitions), partitions };
  }
}

/** A backlog summed over partitions. */
export interface BacklogTotal {
  backlog: number;
  length: number;
  memoryBytes: number;
  otherBytes: BacklogReading['otherBytes'];
  /** Whether the group exists on every partition. */
  groupExists: boolean;
}

function sumReadings(rs: readonly (BacklogReading | undefined)[]): BacklogTotal {
  const t: BacklogTotal = {
    backlog: 0,
    length: 0,
    memoryBytes: 0,
    otherBytes: { dlq: 0, results: 0, events: 0 },
    groupExists: rs.length > 0,
  };
  for (const r of rs) {
    if (!r) {
      t.groupExists = false;
      continue;
    }
    t.backlog += r.backlog;
    t.length += r.length;
    t.memoryBytes += r.memoryBytes;
    t.otherBytes.dlq += r.otherBytes.dlq;
    t.otherBytes.results += r.otherBytes.results;
    t.otherBytes.events += r.otherBytes.events;
    t.groupExists &&= r.groupExists;
  }
  return t;
}
