import type { RedisClient } from '../shared/redis/connection.ts';
import { encodeFrame, type Frame } from '../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { asRedisError } from '../shared/redis/connection.ts';
import { COUNTER, type StreamKeys, WORKER_GROUP } from '../shared/redis/keys.ts';
import { ReplicaWait } from '../shared/redis/replica-wait.ts';
import { runScript } from '../shared/redis/scripts.ts';
import { ensureGroup } from '../shared/redis/stream/index.ts';
import { BacklogMonitor, type BacklogReading, otherBytesOf } from './backlog-monitor.ts';
import type { BackpressureOptions } from './config.ts';

export interface AddResult {
  /** Stream entry id of the new frame. */
  id: string;
  /** Frames deleted to make room (drop-oldest only). */
  dropped: number;
  /** True when this was a retry of a request admitted within the de-duplication window: nothing written. */
  duplicate: boolean;
}

export interface AddOptions {
  /**
   * The request's idempotency key (the Idempotency-Key header, or one derived from camera + seq). Within
   * `idempotencyWindowMs` a second request with the same camera and key writes nothing and gets the first
   * one's id. Checked inside the script that adds the frame.
   */
  idempotencyKey?: string;
}

export interface ProducerHooks {
  onDropped?(count: number): void;
  onReading?(reading: BacklogReading): void;
}

/**
 * Writes frames to the frames stream under the configured backpressure policy. Used by the HTTP routes, by
 * `replay --to redis` and by the benchmark, so all three go through the same admission.
 *
 * - reject: admits with a plain XADD while the estimated backlog is below `maxBacklog` and the estimated
 *   stream memory below the budget; otherwise throws BACKPRESSURE (→ 503 + Retry-After).
 * - drop-oldest: always admits through the admitDropOldest script, which deletes the oldest undelivered
 *   frames atomically and counts them in the counters hash.
 */
export class FrameProducer {
  readonly monitor: BacklogMonitor;
  private readonly replicaWait: ReplicaWait | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly keys: StreamKeys,
    readonly options: BackpressureOptions,
    private readonly hooks: ProducerHooks = {},
    private readonly logger?: Logger,
  ) {
    this.monitor = new BacklogMonitor(redis, keys, WORKER_GROUP, options.checkIntervalMs, hooks.onReading);
    this.replicaWait =
      options.waitReplicas > 0
        ? new ReplicaWait(redis, options.waitReplicas, options.waitTimeoutMs)
        : undefined;
  }

  /**
   * Creates the `workers` group (from the start of the stream, creating the stream) when it is missing, so
   * frames written before the first worker starts are still delivered. Idempotent.
   */
  async ensureGroup(): Promise<void> {
    let created: boolean;
    try {
      created = await ensureGroup(this.redis, this.keys.frames, WORKER_GROUP);
    } catch (err) {
      throw asRedisError(err, `creating group ${WORKER_GROUP} on ${this.keys.frames}`);
    }
    if (created)
      this.logger?.info({ stream: this.keys.frames, group: WORKER_GROUP }, 'created consumer group');
  }

  /**
   * Admits one frame; throws BACKPRESSURE or REDIS_UNAVAILABLE. With LPR_WAIT_REPLICAS it resolves only
   * once that many replicas confirmed the write (a duplicate's too: the first write may not be replicated
   * yet), else throws REPLICA_WAIT_TIMEOUT.
   */
  async add(frame: Frame, opts: AddOptions = {}): Promise<AddResult> {
    const rw = this.replicaWait;
    if (!rw) return this.admit(frame, opts);
    const node = rw.nodeFor(this.keys.frames);
    const result = await this.admit(frame, opts);
    let confirmed: { acked: number; moved: boolean };
    try {
      confirmed = await rw.confirm(this.keys.frames, node);
    } catch (err) {
      throw asRedisError(err, `waiting for replicas of frame ${result.id} of camera "${frame.camera}"`);
    }
    if (confirmed.acked >= rw.replicas) return result;
    throw new PlatestreamError(
      'REPLICA_WAIT_TIMEOUT',
      confirmed.moved
        ? `frame ${result.id} of camera "${frame.camera}" was written while ${this.keys.frames} moved to another master (failover); it may be lost. Retry with the same Idempotency-Key (a frame that survived is answered as a duplicate).`
        : `frame ${result.id} of camera "${frame.camera}" is on the master of ${this.keys.frames} but ${confirmed.acked} of ${rw.replicas} replicas (LPR_WAIT_REPLICAS) confirmed it within ${rw.timeoutMs} ms (LPR_WAIT_TIMEOUT_MS); it may be lost if that master fails now. Retry with the same Idempotency-Key; if this lasts, check the replicas (a master whose replica died or took over has none).`,
      { details: { retryAfterSeconds: this.options.retryAfterSeconds } },
    );
  }

  private async admit(frame: Frame, opts: AddOptions): Promise<AddResult> {
    const window = opts.idempotencyKey === undefined ? 0 : this.options.idempotencyWindowMs;
    const idemKey = this.keys.idempotency(frame.camera, opts.idempotencyKey ?? '-');
    const what = `adding a frame of camera "${frame.camera}" to ${this.keys.frames}`;
    const reading = await this.monitor.current();
    if (this.options.policy === 'reject') {
      const est = this.monitor.estimate(reading);
      if (est.backlog >= this.options.maxBacklog) {
        throw new PlatestreamError(
          'BACKPRESSURE',
          `camera "${frame.camera}": workers are behind (backlog ${est.backlog} >= ${this.options.maxBacklog}); retry after ${this.options.retryAfterSeconds} s`,
          { details: { retryAfterSeconds: this.options.retryAfterSeconds } },
        );
      }
      if (est.totalBytes + frame.img.length > this.options.memoryBudgetBytes) {
        const o = reading.otherBytes;
        throw new PlatestreamError(
          'BACKPRESSURE',
          `camera "${frame.camera}": the pipeline's streams use ${est.totalBytes} bytes (frames ${est.memoryBytes}, dlq ${o.dlq}, results ${o.results}, events ${o.events}), the budget is ${this.options.memoryBudgetBytes} (LPR_STREAM_MEMORY_BUDGET); retry after ${this.options.retryAfterSeconds} s`,
          { details: { retryAfterSeconds: this.options.retryAfterSeconds } },
        );
      }
      let id: string | null;
      let duplicate = false;
      try {
        if (window > 0) {
          const reply = await runScript<[string, number]>(
            this.redis,
            'addFrame',
            [this.keys.frames, idemKey],
            [window, ...encodeFrame(frame)],
          );
          id = Array.isArray(reply) ? String(reply[0]) : null;
          duplicate = Array.isArray(reply) && Number(reply[1]) === 1;
        } else {
          id = await this.redis.xadd(this.keys.frames, '*', ...encodeFrame(frame));
        }
      } catch (err) {
        throw asRedisError(err, what);
      }
      if (id === null) throw new PlatestreamError('INTERNAL', `${what}: XADD returned no id`);
      if (!duplicate) this.monitor.noteAdmitted(frame.img.length);
      return { id, dropped: 0, duplicate };
    }
    return this.admitDropOldest(frame, reading, what, window, idemKey);
  }

  private async admitDropOldest(
    frame: Frame,
    reading: BacklogReading,
    what: string,
    window: number,
    idemKey: string,
  ): Promise<AddResult> {
    // Longest stream the memory budget allows, from the average entry size of the last reading.
    const avg =
      reading.length > 0 && reading.memoryBytes > 0 ? reading.memoryBytes / reading.length : frame.img.length;
    // The DLQ, results and events share the budget: the frames get what they leave.
    const framesBudget = Math.max(0, this.options.memoryBudgetBytes - otherBytesOf(reading));
    const maxLen = Math.max(1, Math.floor(framesBudget / Math.max(avg, frame.img.length)));
    let reply: [string, number, number, number];
    try {
      reply = await runScript<[string, number, number, number]>(
        this.redis,
        'admitDropOldest',
        [this.keys.frames, this.keys.counters, idemKey],
        [
          WORKER_GROUP,
          this.options.maxBacklog,
          maxLen,
          COUNTER.droppedOldest,
          this.options.maxDropPerAdmit,
          window,
          ...encodeFrame(frame),
        ],
      );
    } catch (err) {
      throw asRedisError(err, what);
    }
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
      throw new PlatestreamError(
        'SCRIPT_FAILED',
        `${what}: admitDropOldest returned ${JSON.stringify(reply)}`,
      );
    }
    const dropped = Number(reply[2]);
    if (dropped > 0) {
      this.hooks.onDropped?.(dropped);
      this.logger?.debug(
        { camera: frame.camera, dropped, backlog: Number(reply[1]) },
        'dropped oldest frames',
      );
    }
    const duplicate = Number(reply[3]) === 1;
    if (!duplicate) this.monitor.noteAdmitted(frame.img.length);
    return { id: reply[0], dropped, duplicate };
  }
}
