import { EventEmitter } from 'node:events';
import type { RedisClient } from '../shared/redis/connection.ts';
import { type FrameEntry, decodeFrame } from '../shared/codec/frame-codec.ts';
import { encodeResult } from '../shared/codec/result-codec.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { PlatestreamError, isPlatestreamError } from '../shared/errors.ts';
import { once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { type StreamKeys, WORKER_GROUP } from '../shared/redis/keys.ts';
import { checkPartitions, type Partitions, partitionsOf } from '../shared/redis/partitions.ts';
import { LeaseLock } from '../shared/redis/lease-lock.ts';
import { appendOnlyGaugeValue, checkAppendOnly } from '../shared/redis/persistence.ts';
import { runScript } from '../shared/redis/scripts.ts';
import type { RecognitionResult, Recognizer } from '../shared/recognizer.ts';
import { queueSighting } from '../shared/redis/plate-index.ts';
import { ensureGroup, entryIdMs, type Reclaimer, type StreamEntry } from '../shared/redis/stream/index.ts';
import { delay, withTimeout } from '../shared/util/wait.ts';
import type { AlertPayload } from '../alerts/index.ts';
import { type CompleteOutcome, type RetentionArgs, completeFrame, deadLetter } from './completion.ts';
import type { WorkerOptions } from './config.ts';
import { createFrameReclaimer } from './frame-reclaimer.ts';
import { Housekeeper, type HousekeepingReport } from './housekeeper.ts';
import { PartitionReader } from './partition-reader.ts';
import { WorkerMetrics } from './metrics.ts';
import { readGroupStats } from './stats.ts';

/** What an enrichment step (the watchlist) adds to a frame's completion. */
export interface Enrichment {
  /** Alert written atomically with the result (subject to its de-duplication window). */
  alert?: AlertPayload;
  /** Extra result fields, e.g. { watchlist: 'hit' | 'miss' | 'unknown' }. */
  fields?: Record<string, string>;
}

/**
 * Enrichment hook (the watchlist): given a frame and its recognition result, returns what to add to the
 * completion, or undefined. A throw counts as a transient failure (the frame is retried); a hook that
 * cannot answer (database down) should return `fields` saying so instead, so results keep flowing.
 */
export type EnrichHook = (frame: FrameEntry, result: RecognitionResult) => Promise<Enrichment | undefined>;

export interface WorkerDeps {
  redis: RedisConfig;
  options: WorkerOptions;
  recognizer: Recognizer;
  logger?: Logger;
  metrics?: WorkerMetrics;
  enrichHook?: EnrichHook;
}

/** Per-frame stage timings in ms. */
export interface FrameTimings {
  queueMs: number;
  decodeMs: number;
  inferMs: number;
  completeMs: number;
  totalMs: number;
}

export type FrameOutcome =
  | { kind: 'completed'; id: string; resultId: string; plate: string; timings: FrameTimings }
  | { kind: 'stale'; id: string }
  | { kind: 'dead-lettered'; id: string; stage: string; error: string; deliveries: number }
  | { kind: 'retry'; id: string; stage: string; error: string; deliveries: number };

/**
 * A consumer in the `workers` group: reads frames with a guarded blocking XREADGROUP, recognises them
 * with up to `concurrency` in flight, completes each with one atomic script (XACK + result), reclaims
 * idle entries of crashed consumers, dead-letters poison frames, and (when elected) trims the stream.
 *
 * Events: 'frame' (FrameOutcome) after each frame; 'error' is never emitted (background loops log).
 */
export class Worker extends EventEmitter {
  /** Keys of the unpartitioned layout (with LPR_PARTITIONS=1: the one partition's, `lpr:frames`, ...). */
  readonly keys: StreamKeys;
  /** Every partition (LPR_PARTITIONS); the worker reads, reclaims and keeps house on all of them. */
  readonly parts: Partitions;
  readonly group = WORKER_GROUP;
  readonly metrics: WorkerMetrics;
  readonly options: WorkerOptions;
  private readonly log: Logger;
  private readonly redis: RedisClient;
  private readonly reader: PartitionReader;
  /** Per partition (index = partition number): its keys, reclaimer and housekeeper (own lease). */
  private readonly units: { keys: StreamKeys; reclaimer: Reclaimer; housekeeper: Housekeeper }[];
  private readonly leaderOf: boolean[];
  private reclaimNext = 0;
  private readonly inFlight = new Map<string, Promise<void>>();
  private slotWaiters: (() => void)[] = [];
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];
  private started = false;
  private readyFlag = false;
  private lastLoopAt = Date.now();
  private readonly lowWater: number;

  constructor(private readonly deps: WorkerDeps) {
    super();
    this.options = deps.options;
    this.lowWater = Math.max(1, Math.min(this.options.readCount, Math.ceil(this.options.concurrency / 2)));
    this.parts = partitionsOf(deps.redis);
    this.keys = this.parts.global;
    this.log = deps.logger ?? moduleLogger('worker');
    this.metrics = deps.metrics ?? new WorkerMetrics();
    this.redis = createRedis(deps.redis, 'consumer', {
      name: `worker:${this.options.consumer}`,
      logger: this.log,
    });
    this.reader = new PartitionReader({
      redis: deps.redis,
      conn: this.redis,
      parts: this.parts,
      group: this.group,
      consumer: this.options.consumer,
      blockMs: this.options.blockMs,
      marginMs: this.options.watchdogMarginMs,
      logger: this.log,
      onWatchdog: () => this.metrics.watchdogResets.inc(),
    });
    this.leaderOf = this.parts.all.map(() => false);
    this.units = this.parts.all.map((keys, p) => {
      // Every key a partition's scripts touch comes from its own StreamKeys: one hash slot per script.
      const lock = new LeaseLock(this.redis, {
        key: keys.housekeepingLock,
        fenceKey: keys.fencingCounter,
        owner: this.options.consumer,
        ttlMs: this.options.lockTtlMs,
        logger: this.log,
      });
      return {
        keys,
        reclaimer: createFrameReclaimer({
          redis: this.redis,
          keys,
          group: this.group,
          options: this.options,
          metrics: this.metrics,
          logger: this.log,
        }),
        housekeeper: new Housekeeper({
          redis: this.redis,
          keys,
          group: this.group,
          lock,
          consumerIdleMs: this.options.consumerIdleMs,
          frameRetentionMs: this.options.frameRetentionMs,
          ageLimits: this.options.ageLimits,
          metrics: this.metrics,
          // The gauge counts the partitions whose housekeeping lease this worker holds.
          onLeader: (held) => {
            this.leaderOf[p] = held;
            this.metrics.leader.set(this.leaderOf.filter(Boolean).length);
          },
          logger: this.log,
        }),
      };
    });
  }

  /** True after start() finished (group ready, recogniser warm) and until close() begins. */
  get ready(): boolean {
    return this.readyFlag && !this.stop.signal.aborted;
  }

  /** True while the read loop iterates (it wakes at least every blockMs + margin). */
  get healthy(): boolean {
    if (!this.started || this.stop.signal.aborted) return true;
    return Date.now() - this.lastLoopAt < 2 * (this.options.blockMs + this.options.watchdogMarginMs) + 5000;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Ensures the group, warms the recogniser and starts the loops. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await checkPartitions(this.redis, this.parts);
    for (const u of this.units) await ensureGroup(this.redis, u.keys.frames, this.group);
    this.metrics.redisAppendOnly.set(appendOnlyGaugeValue(await checkAppendOnly(this.redis, this.log)));
    await this.deps.recognizer.warmup();
    // close() during start-up (e.g. SIGTERM while models load): do not start loops nobody will wait for.
    if (this.stop.signal.aborted) return;
    await this.heartbeat();
    this.loops = [
      this.readLoop(),
      this.every('heartbeat', this.options.heartbeatMs, () => this.heartbeat()),
      this.every('reclaim', this.options.claimIntervalMs, () => this.reclaimOnce()),
      this.every('housekeeping', this.options.housekeepingIntervalMs, () => this.housekeepOnce()),
    ];
    this.metrics.modelInfo.set({ model: this.deps.recognizer.id, consumer: this.options.consumer }, 1);
    // Bounded: a scrape during a Redis outage answers without the group gauges instead of hanging.
    this.metrics.setGroupGaugesSource(() => withTimeout(this.groupStats(), 1000, 'reading group stats'));
    this.readyFlag = true;
    this.log.info(
      {
        consumer: this.options.consumer,
        concurrency: this.options.concurrency,
        recognizer: this.deps.recognizer.id,
        partitions: this.parts.count,
      },
      'worker started',
    );
  }

  /** Group lag, pending and consumers summed over the partitions (the /metrics gauges). */
  private async groupStats(): Promise<
    { lag: number; pending: number; consumers: number; deadConsumers: number } | undefined
  > {
    const all = await Promise.all(this.units.map((u) => readGroupStats(this.redis, u.keys, this.group)));
    if (all.every((s) => s === undefined)) return undefined;
    const sum = { lag: 0, pending: 0, consumers: 0, deadConsumers: 0 };
    for (const s of all) {
      if (!s) continue;
      sum.lag += s.lag;
      sum.pending += s.pending;
      // Every worker is a consumer of every partition: count workers, not (worker, partition) pairs.
      sum.consumers = Math.max(sum.consumers, s.consumers);
      sum.deadConsumers = Math.max(sum.deadConsumers, s.deadConsumers);
    }
    return sum;
  }

  /** Records that this consumer is alive for 3 heartbeat intervals (on the Redis clock), in every partition. */
  private async heartbeat(): Promise<void> {
    for (const u of this.units)
      await runScript(
        this.redis,
        'heartbeat',
        [u.keys.workerHeartbeats],
        [this.options.consumer, 3 * this.options.heartbeatMs],
      );
  }

  /**
   * Graceful exit: drops the heartbeat and deletes this consumer from the group when it owns no pending
   * entry (one that does stays listed as dead until others reclaimed its entries and housekeeping removes it).
   */
  private async leaveGroup(): Promise<void> {
    // Bounded and never fatal: during a Redis outage shutdown goes on (the consumer then stays listed as
    // dead until housekeeping removes it).
    let left: number;
    try {
      const each = await withTimeout(
        Promise.all(
          this.units.map((u) =>
            runScript<number>(
              this.redis,
              'leaveGroup',
              [u.keys.frames, u.keys.workerHeartbeats],
              [this.group, this.options.consumer],
            ),
          ),
        ),
        2000,
        'leaving the consumer group',
      );
      left = each.every((n) => Number(n) === 1) ? 1 : 0;
    } catch (err) {
      this.log.warn(
        { err, consumer: this.options.consumer },
        'could not leave the consumer group; it stays listed as dead',
      );
      return;
    }
    if (Number(left) !== 1)
      this.log.warn(
        { consumer: this.options.consumer },
        'consumer kept in the group: it still owns pending frames (they will be reclaimed by other workers)',
      );
  }

  /** One reclaim round (also used by tests). */
  async reclaimOnce(): Promise<number> {
    let claimed = 0;
    // Round-robin start: with few free slots, every partition gets its turn.
    const start = this.reclaimNext;
    this.reclaimNext = (start + 1) % this.units.length;
    for (let i = 0; i < this.units.length; i++) {
      const u = this.units[(start + i) % this.units.length]!;
      const free = this.options.concurrency - this.inFlight.size;
      if (free <= 0) break;
      const round = await u.reclaimer.runOnce(free, (entries) => {
        for (const entry of entries) {
          this.log.info({ frame: entry.id, deliveries: entry.deliveries }, 'reclaimed idle frame');
          this.dispatch(entry, entry.deliveries, u.keys);
        }
      });
      claimed += round.claimed;
    }
    return claimed;
  }

  /** One housekeeping round on every partition (each under its own lease; also used by tests). */
  async housekeepOnce(): Promise<HousekeepingReport> {
    const out: HousekeepingReport = { leader: false, trimmed: 0, minId: '', removed: [] };
    let failure: unknown;
    for (const u of this.units) {
      try {
        const r = await u.housekeeper.runOnce();
        out.leader ||= r.leader;
        out.trimmed += r.trimmed;
        out.minId ||= r.minId;
        out.removed.push(...r.removed.filter((c) => !out.removed.includes(c)));
      } catch (err) {
        // One partition's failure (lease lost, node down) must not stop the others' housekeeping.
        failure ??= err;
      }
    }
    if (failure) throw failure;
    return out;
  }

  /**
   * Stops reading, lets in-flight frames finish and complete, then closes everything. Idempotent; every
   * step runs even if one fails.
   */
  readonly close = once(async () => {
    this.readyFlag = false;
    this.stop.abort();
    this.wakeSlotWaiters();
    // Let in-flight frames complete, but not past the shutdown budget: during a Redis outage their
    // completions (and the loops' commands) wait on the connection; closing it below fails them, and the
    // frames stay pending for another worker to reclaim.
    const drainMs = Math.max(1000, this.options.shutdownTimeoutMs - 3000);
    let drainTimer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled([...this.loops, ...this.inFlight.values()]).then(() => true),
      new Promise<false>((resolve) => {
        drainTimer = setTimeout(() => resolve(false), drainMs);
      }),
    ]);
    clearTimeout(drainTimer);
    if (!drained) {
      this.log.warn(
        { inFlight: this.inFlight.size, drainMs },
        'in-flight frames did not complete in time (Redis unreachable?); they stay pending and will be reclaimed',
      );
    }
    await runAll(
      [
        [
          'housekeeping leases',
          () => (drained ? Promise.all(this.units.map((u) => u.housekeeper.release())) : undefined),
        ],
        ['leave group', () => (drained && this.loops.length > 0 ? this.leaveGroup() : undefined)],
        ['reader', () => this.reader.close()],
        ['recognizer', () => this.deps.recognizer.close()],
        ['redis', () => closeRedis(this.redis)],
        // Settles at once now that the connection is closed.
        ['loops', () => Promise.allSettled([...this.loops, ...this.inFlight.values()])],
      ],
      this.log,
    );
    this.log.info({ consumer: this.options.consumer }, 'worker stopped');
  });

  private async readLoop(): Promise<void> {
    const signal = this.stop.signal;
    let backoff = 50;
    while (!signal.aborted) {
      this.lastLoopAt = Date.now();
      // Read again once half the slots are free (not after every single completion): bigger batches,
      // fewer round trips, and entries never wait long in this process before being worked on.
      const free = this.options.concurrency - this.inFlight.size;
      if (free < this.lowWater) {
        await this.slotFreed();
        continue;
      }
      let entries: StreamEntry[];
      try {
        entries = await this.reader.read(Math.min(free, this.options.readCount));
        backoff = 50;
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ err }, 'read failed; retrying');
        await delay(backoff, signal);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      for (const entry of entries) this.dispatch(entry, 1, this.keysOfStream(entry.stream));
    }
  }

  private async every(name: string, intervalMs: number, fn: () => Promise<unknown>): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      await delay(intervalMs, signal);
      if (signal.aborted) break;
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err, loop: name }, `${name} round failed; will retry`);
      }
    }
  }

  private slotFreed(): Promise<void> {
    if (this.stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private wakeSlotWaiters(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const w of waiters) w();
  }

  private keysOfStream(stream: string): StreamKeys {
    const p = this.parts.ofStream(stream);
    if (p === undefined) throw new Error(`entry of stream ${stream}, which is no partition's frames stream`);
    return this.units[p]!.keys;
  }

  /** Starts processing one entry unless it is already in flight here. */
  private dispatch(entry: StreamEntry, deliveries: number, keys: StreamKeys): void {
    // Entry ids are unique per stream only: key the in-flight map by stream and id.
    const slot = `${entry.stream}\u0000${entry.id}`;
    if (this.inFlight.has(slot)) return;
    this.metrics.inFlight.inc();
    const p = this.process(entry, deliveries, keys)
      .then((outcome) => {
        // A throwing 'frame' listener must not become an unhandled rejection.
        try {
          this.emit('frame', outcome);
        } catch (err) {
          this.log.error({ err, frame: entry.id }, "a 'frame' listener threw");
        }
      })
      .catch((err: unknown) =>
        this.log.error({ err, frame: entry.id }, 'unexpected error processing frame; left pending'),
      )
      .finally(() => {
        this.inFlight.delete(slot);
        this.metrics.inFlight.dec();
        this.lastLoopAt = Date.now();
        this.wakeSlotWaiters();
      });
    this.inFlight.set(slot, p);
  }

  /** One frame: decode → recognise (+ enrich) → complete atomically → metrics and plate index. */
  private async process(entry: StreamEntry, deliveries: number, keys: StreamKeys): Promise<FrameOutcome> {
    const id = entry.id;
    const start = Date.now();
    const queueMs = Math.max(0, start - entryIdMs(id));
    this.metrics.stageSeconds.observe({ stage: 'queue' }, queueMs / 1000);

    let frame: FrameEntry;
    const t0 = performance.now();
    try {
      frame = decodeFrame(id, entry.fields);
    } catch (err) {
      return this.toDlq(keys, id, 'decode', err, deliveries);
    }
    const t1 = performance.now();

    let result: RecognitionResult;
    let enrichment: Enrichment | undefined;
    let stage = 'inference';
    try {
      result = await this.recognise(frame);
      if (this.deps.enrichHook) {
        stage = 'watchlist';
        enrichment = await this.deps.enrichHook(frame, result);
      }
    } catch (err) {
      if (stage === 'inference' && isPlatestreamError(err, 'IMAGE_INVALID'))
        return this.toDlq(keys, id, stage, err, deliveries);
      return this.retryOrDlq(keys, id, stage, err, deliveries);
    }
    const t2 = performance.now();

    const timings: FrameTimings = {
      queueMs,
      decodeMs: round(t1 - t0),
      inferMs: round(t2 - t1),
      completeMs: 0,
      totalMs: 0,
    };
    const fields = this.resultFields(frame, result, enrichment, { ...timings, totalMs: Date.now() - start });

    let outcome: CompleteOutcome;
    try {
      outcome = await completeFrame(this.redis, {
        keys,
        group: this.group,
        frameId: id,
        result: fields,
        retention: this.retention(),
        alert: enrichment?.alert,
      });
    } catch (err) {
      return this.retryOrDlq(keys, id, 'complete', err, deliveries, false);
    }
    const end = Date.now();
    timings.completeMs = round(performance.now() - t2);
    timings.totalMs = end - start;
    if (!outcome.acked) {
      this.metrics.staleCompletions.inc();
      this.log.info(
        { frame: id },
        'stale completion: frame was reclaimed and finished elsewhere; wrote nothing',
      );
      return { kind: 'stale', id };
    }
    this.recordCompleted(id, result, outcome, timings, end);
    if (result.plate && this.options.plateIndexRetentionMs > 0)
      await this.indexSighting(keys, frame, result, outcome.resultId);
    return { kind: 'completed', id, resultId: outcome.resultId, plate: result.plate, timings };
  }

  /** Runs the recogniser under WORKER_PROCESSING_TIMEOUT_MS (TIMEOUT past it; the signal tells it to stop). */
  private async recognise(frame: FrameEntry): Promise<RecognitionResult> {
    const ms = this.options.processingTimeoutMs;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), ms);
    try {
      return await Promise.race([
        this.deps.recognizer.recognize(
          {
            id: frame.id,
            camera: frame.camera,
            ts: frame.ts,
            mime: frame.mime,
            img: frame.img,
            meta: frame.meta,
          },
          ac.signal,
        ),
        new Promise<never>((_, reject) => {
          ac.signal.addEventListener('abort', () =>
            reject(
              new PlatestreamError(
                'TIMEOUT',
                `frame ${frame.id} (camera ${frame.camera}): recognition took longer than WORKER_PROCESSING_TIMEOUT_MS (${ms} ms)`,
              ),
            ),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The result entry's fields (encodeResult), plus the frame's seq and the enrichment's fields. */
  private resultFields(
    frame: FrameEntry,
    result: RecognitionResult,
    enrichment: Enrichment | undefined,
    timings: Omit<FrameTimings, 'completeMs'>,
  ): string[] {
    const fields = encodeResult({
      frame: frame.id,
      camera: frame.camera,
      ts: frame.ts,
      plate: result.plate,
      confidence: result.confidence,
      box: result.box,
      plates: result.candidates,
      model: result.model,
      skipped: result.skipped,
      worker: this.options.consumer,
      timings: {
        queueMs: timings.queueMs,
        decodeMs: timings.decodeMs,
        inferMs: timings.inferMs,
        totalMs: timings.totalMs,
        ...prefixKeys(result.timings),
      },
    });
    if (frame.seq !== undefined) fields.push('seq', String(frame.seq));
    for (const [k, v] of Object.entries(enrichment?.fields ?? {})) fields.push(k, v);
    return fields;
  }

  /** Metrics of a frame whose result was written. */
  private recordCompleted(
    id: string,
    result: RecognitionResult,
    outcome: CompleteOutcome,
    timings: FrameTimings,
    end: number,
  ): void {
    if (outcome.alert !== 'none') this.metrics.alerts.inc({ outcome: outcome.alert });
    this.metrics.processed.inc({ outcome: result.skipped ?? (result.plate ? 'plate' : 'noplate') });
    this.metrics.stageSeconds.observe({ stage: 'decode' }, timings.decodeMs / 1000);
    this.metrics.stageSeconds.observe({ stage: 'inference' }, timings.inferMs / 1000);
    this.metrics.stageSeconds.observe({ stage: 'complete' }, timings.completeMs / 1000);
    this.metrics.stageSeconds.observe({ stage: 'total' }, timings.totalMs / 1000);
    this.metrics.endToEndSeconds.observe(Math.max(0, end - entryIdMs(id)) / 1000);
  }

  /**
   * Adds the sighting to the per-plate index (`platestream results plate`). The index is derived data
   * written after the atomic completion: if this fails or the process dies here, the result stands and only
   * the index misses one sighting, so a failure is logged, never retried.
   */
  private async indexSighting(
    keys: StreamKeys,
    frame: FrameEntry,
    result: RecognitionResult,
    resultId: string,
  ): Promise<void> {
    try {
      const tx = this.redis.multi();
      queueSighting(
        tx,
        keys,
        result.plate,
        { resultId, camera: frame.camera, ts: frame.ts, confidence: result.confidence },
        { retentionMs: this.options.plateIndexRetentionMs },
      );
      await tx.exec();
    } catch (err) {
      this.log.warn({ err, frame: frame.id }, 'could not add the sighting to the plate index');
    }
  }

  private retention(): RetentionArgs {
    const o = this.options;
    return o.resultRetention === 'minid'
      ? { strategy: 'MINID', threshold: `${Date.now() - o.resultsRetentionMs}-0` }
      : { strategy: 'MAXLEN', threshold: String(o.resultsMaxLen) };
  }

  /** Transient failure: leave the entry pending (reclaimed and retried after claimIdleMs) or, on the last
   * allowed delivery, dead-letter it with this error. */
  private async retryOrDlq(
    keys: StreamKeys,
    id: string,
    stage: string,
    err: unknown,
    deliveries: number,
    mayDlq = true,
  ): Promise<FrameOutcome> {
    const error = err instanceof Error ? err.message : String(err);
    if (mayDlq && deliveries >= this.options.maxDeliveries)
      return this.toDlq(keys, id, stage, err, deliveries);
    this.metrics.retries.inc({ stage });
    this.log.warn(
      { err, frame: id, stage, deliveries, maxDeliveries: this.options.maxDeliveries },
      'transient failure; frame stays pending and will be retried after claimIdleMs',
    );
    return { kind: 'retry', id, stage, error, deliveries };
  }

  private async toDlq(
    keys: StreamKeys,
    id: string,
    stage: string,
    err: unknown,
    deliveries: number,
  ): Promise<FrameOutcome> {
    const error = err instanceof Error ? err.message : String(err);
    try {
      const r = await deadLetter(this.redis, keys, this.group, {
        frameId: id,
        error,
        stage,
        deliveries,
        worker: this.options.consumer,
        dlqMaxLen: this.options.dlqMaxLen,
        dlqMaxBytes: this.options.dlqMaxBytes,
      });
      if (!r.acked) {
        this.metrics.staleCompletions.inc();
        return { kind: 'stale', id };
      }
    } catch (dlqErr) {
      this.log.warn({ err: dlqErr, frame: id }, 'could not dead-letter frame; it stays pending');
      return { kind: 'retry', id, stage, error, deliveries };
    }
    this.metrics.deadLettered.inc({ stage });
    this.log.warn({ frame: id, stage, error, deliveries }, 'frame dead-lettered');
    return { kind: 'dead-lettered', id, stage, error, deliveries };
  }
}

function round(ms: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(ms * f) / f;
}

function prefixKeys(t: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) out[`model.${k}`] = v;
  return out;
}
