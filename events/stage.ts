import { EventEmitter } from 'node:events';
import type { RedisClient } from '../shared/redis/connection.ts';
import { type AlertOptions, alertFieldList, alertPayload } from '../alerts/index.ts';
import { encodeEvent, type EventRecord } from '../shared/codec/event-codec.ts';
import { decodeResult } from '../shared/codec/result-codec.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { COUNTER, EVENTS_GROUP, eventsGroup, type StreamKeys, WORKER_GROUP } from '../shared/redis/keys.ts';
import { LeaseLock } from '../shared/redis/lease-lock.ts';
import {
  BlockingReader,
  ensureGroup,
  entryFields,
  parseGroupInfo,
  Reclaimer,
  type StreamEntry,
} from '../shared/redis/stream/index.ts';
import { delay } from '../shared/util/wait.ts';
import type { Enricher } from '../watchlist/index.ts';
import type { EventsOptions } from './config.ts';
import { emitEvents } from './emit.ts';
import { EventsMetrics } from './metrics.ts';
import {
  type CameraState,
  emptyCameraState,
  isIdle,
  type OpenPass,
  type PassRead,
  stepCamera,
  summarise,
} from './pass-builder.ts';
import { keepPass } from './pass-filter.ts';
import { passToEvent } from './pass-event.ts';
import { cameraPartition, partitionsOf } from '../shared/redis/partitions.ts';
import { readsOfResult } from './result-reads.ts';

export interface EventStageDeps {
  redis: RedisConfig;
  options: EventsOptions;
  alerts: AlertOptions;
  logger?: Logger;
  metrics?: EventsMetrics;
  /** Watchlist lookup of each event's voted plate; undefined = no watchlist (events carry watchlist ""). */
  lookup?: Pick<Enricher, 'lookup'>;
  /** Which partition of how many this stage works (default 0 of 1); cameras map by cameraPartition. */
  partition?: { index: number; count: number };
  /** Asked before taking a free lease (the service balances partitions across processes); default yes. */
  mayAcquire?: () => boolean;
}

/** A written event as the stage announces it ('event'). */
export interface EmittedEvent extends EventRecord {
  id: string;
  /** Alerts stream id, when the voted plate hit the watchlist. */
  alertId?: string;
}

/**
 * The events stage: a consumer of the `events` group on the results stream that turns per-frame results
 * into one event per vehicle pass (events/pass-builder.ts, events/voting.ts).
 *
 * One process at a time works a partition: it holds the partition's lease (LeaseLock with fencing, as
 * housekeeping does) and every write goes through emitEvents-8.lua, which checks the lease value first.
 * Other processes wait and take over within EVENTS_LOCK_TTL_MS when the holder dies. Taking over means:
 * load the open state of every camera from Redis, claim every pending result of the group (whoever read it)
 * and apply those first. Open state lives in Redis and changes only in the same script that acknowledges
 * the results it came from, so a process killed at any point loses no pass and writes no event twice.
 *
 * Events: 'event' (EmittedEvent) after each event written; 'error' is never emitted (loops log).
 */
export class EventStage extends EventEmitter {
  readonly keys: StreamKeys;
  readonly metrics: EventsMetrics;
  readonly options: EventsOptions;
  private readonly log: Logger;
  private readonly redis: RedisClient;
  private readonly reader: BlockingReader;
  private readonly lock: LeaseLock;
  private readonly reclaimer: Reclaimer;
  private readonly takeoverClaimer: Reclaimer;
  private readonly stop = new AbortController();
  private cache = new Map<string, CameraState>();
  private lease: string | undefined;
  private needsTakeover = false;
  private chain: Promise<unknown> = Promise.resolve();
  private loops: Promise<void>[] = [];
  private started = false;
  private readyFlag = false;
  private lastLoopAt = Date.now();
  /** Highest capture ts of any result seen (all cameras): the capture-time clock for quiet cameras. */
  private globalMaxTs = 0;
  readonly partition: { index: number; count: number; group: string; state: string; lock: string };

  constructor(private readonly deps: EventStageDeps) {
    super();
    this.options = deps.options;
    this.log = deps.logger ?? moduleLogger('events');
    this.metrics = deps.metrics ?? new EventsMetrics();
    const o = this.options;
    const { index, count } = deps.partition ?? { index: 0, count: 1 };
    if (deps.redis.partitions > 1) {
      // Stream partitions (LPR_PARTITIONS): events partition p is stream partition p. It reads its own
      // results stream with the plain `events` group and keeps state, lease, events and alerts beside it,
      // all in the partition's hash slot.
      if (count !== deps.redis.partitions)
        throw new Error(
          `events partitions (${count}) must equal LPR_PARTITIONS (${deps.redis.partitions}) when LPR_PARTITIONS > 1`,
        );
      this.keys = partitionsOf(deps.redis).all[index]!;
      this.partition = {
        index,
        count,
        group: EVENTS_GROUP,
        state: this.keys.eventsState,
        lock: this.keys.eventsLock,
      };
    } else {
      // One results stream (LPR_PARTITIONS=1): EVENTS_PARTITIONS groups on it, each keeping its cameras'.
      // (partitionsOf: hash-tagged on a Redis Cluster, the plain single-node names otherwise.)
      this.keys = partitionsOf(deps.redis).all[0]!;
      this.partition = {
        index,
        count,
        group: eventsGroup(index, count),
        state: this.keys.eventsPartitionState(index, count),
        lock: this.keys.eventsPartitionLock(index, count),
      };
    }
    this.redis = createRedis(deps.redis, 'consumer', { name: `events:${o.consumer}`, logger: this.log });
    this.reader = new BlockingReader(deps.redis, {
      name: `events-read:${o.consumer}`,
      blockMs: o.blockMs,
      marginMs: o.watchdogMarginMs,
      logger: this.log,
      recreateGroupFrom: '0',
    });
    this.lock = new LeaseLock(this.redis, {
      key: this.partition.lock,
      fenceKey: this.keys.fencingCounter,
      owner: o.consumer,
      ttlMs: o.lockTtlMs,
      logger: this.log,
    });
    const claim = {
      redis: this.redis,
      stream: this.keys.results,
      group: this.partition.group,
      consumer: o.consumer,
    };
    this.reclaimer = new Reclaimer({ ...claim, minIdleMs: o.claimIdleMs, logger: this.log });
    this.takeoverClaimer = new Reclaimer({ ...claim, minIdleMs: 0, logger: this.log });
  }

  /** True while this process holds the partition lease. */
  get leader(): boolean {
    return this.lease !== undefined;
  }

  get ready(): boolean {
    return this.readyFlag && !this.stop.signal.aborted;
  }

  /** True while the loops iterate. */
  get healthy(): boolean {
    if (!this.started || this.stop.signal.aborted) return true;
    return Date.now() - this.lastLoopAt < 2 * (this.options.blockMs + this.options.watchdogMarginMs) + 5000;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await ensureGroup(this.redis, this.keys.results, this.partition.group, { startId: '0' });
    if (this.stop.signal.aborted) return;
    const o = this.options;
    this.loops = [
      this.every('lease', Math.max(20, Math.floor(o.lockTtlMs / 4)), () => this.leaseRound(), true),
      this.readLoop(),
      this.every('flush', Math.max(10, Math.min(1000, Math.floor(o.idleFlushMs / 2))), () =>
        this.serial(() => this.tick()),
      ),
    ];
    this.readyFlag = true;
    this.log.info(
      {
        consumer: o.consumer,
        stream: this.keys.results,
        partition: this.partition.index,
        partitions: this.partition.count,
      },
      'events stage started',
    );
  }

  /** Stops reading and releases the lease; open passes stay in Redis for the next holder. Idempotent. */
  readonly close = once(async () => {
    this.readyFlag = false;
    this.stop.abort();
    await runAll(
      [
        ['reader', () => this.reader.close()],
        ['loops', () => Promise.allSettled([...this.loops, this.chain])],
        ['lease', () => this.lock.release()],
        ['redis', () => closeRedis(this.redis)],
      ],
      this.log,
    );
    if (this.lease) this.metrics.leader.dec();
    this.lease = undefined;
    this.log.info(
      { consumer: this.options.consumer, partition: this.partition.index },
      'events stage stopped',
    );
  });

  /** Runs `fn` after every earlier commit has finished (one writer of the cached state at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => {});
    return p;
  }

  private async leaseRound(): Promise<void> {
    // A free lease is taken only while the service says this process holds less than its share.
    if (!this.lease && this.deps.mayAcquire && !this.deps.mayAcquire()) return;
    const lease = await this.lock.acquireOrRenew();
    if (lease && lease.value !== this.lease) {
      if (!this.lease) this.metrics.leader.inc();
      this.lease = lease.value;
      this.needsTakeover = true;
      this.log.info(
        { token: lease.token, partition: this.partition.index },
        'events partition lease acquired',
      );
    } else if (!lease && this.lease) {
      this.lostLease('renewing');
    }
  }

  /** Gives the lease up (rebalancing): after the commit in progress, releases it and forgets the state. */
  handOver(): Promise<void> {
    return this.serial(async () => {
      if (!this.lease) return;
      await this.lock.release();
      this.lostLease('handing over to balance partitions');
    });
  }

  private lostLease(when: string): void {
    if (this.lease === undefined) return;
    this.lease = undefined;
    this.cache.clear();
    this.metrics.leader.dec();
    this.metrics.openPasses.set({ partition: String(this.partition.index) }, 0);
    this.log.warn(
      { when, partition: this.partition.index },
      'events partition lease lost; another process holds it now',
    );
  }

  private async readLoop(): Promise<void> {
    const signal = this.stop.signal;
    let backoff = 50;
    while (!signal.aborted) {
      this.lastLoopAt = Date.now();
      try {
        if (!this.lease) {
          await delay(Math.max(20, Math.floor(this.options.lockTtlMs / 8)), signal);
          continue;
        }
        if (this.needsTakeover) {
          await this.serial(() => this.takeover());
          continue;
        }
        const entries = await this.reader.readGroup({
          group: this.partition.group,
          consumer: this.options.consumer,
          streams: [this.keys.results],
          count: this.options.readCount,
        });
        if (entries.length > 0) await this.serial(() => this.apply(entries));
        backoff = 50;
      } catch (err) {
        if (signal.aborted) break;
        this.needsTakeover = this.lease !== undefined;
        this.log.warn({ err }, 'events round failed; reloading state and retrying');
        await delay(backoff, signal);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  private async every(name: string, ms: number, fn: () => Promise<unknown>, first = false): Promise<void> {
    const signal = this.stop.signal;
    let run = first;
    while (!signal.aborted) {
      if (!run) await delay(ms, signal);
      run = false;
      if (signal.aborted) break;
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err, loop: name }, `${name} round failed; will retry`);
      }
    }
  }

  /**
   * After acquiring the lease (or after a failed commit): the stored state is the truth. Loads it, then
   * claims and applies every result still pending in the group, whoever read it.
   */
  private async takeover(): Promise<void> {
    if (!this.lease) return;
    const raw = await this.redis.hgetall(this.partition.state);
    const cache = new Map<string, CameraState>();
    for (const [camera, json] of Object.entries(raw)) {
      try {
        cache.set(camera, JSON.parse(json) as CameraState);
      } catch (err) {
        this.log.error({ err, camera }, 'unreadable open state of a camera; starting it afresh');
      }
    }
    this.cache = cache;
    for (const st of cache.values()) this.globalMaxTs = Math.max(this.globalMaxTs, st.maxTs);
    const claimed = await this.takeoverClaimer.claimAll((entries) => this.apply(entries), {
      pageSize: this.options.readCount,
    });
    this.needsTakeover = false;
    this.log.info(
      { cameras: cache.size, openPasses: countPasses(cache), claimed, partition: this.partition.index },
      'events partition taken over: open passes loaded, pending results re-applied',
    );
  }

  /** Periodic: close the passes of cameras gone quiet, claim results stuck on other consumers, gauges. */
  private async tick(): Promise<void> {
    if (!this.lease || this.needsTakeover) return;
    const now = Date.now();
    const idle = this.options.idleFlushMs;
    let backlog: number | undefined;
    const quiet: CameraState[] = [];
    for (const s of this.cache.values()) {
      if (isIdle(s)) continue;
      // Capture time: other cameras have moved on by more than the idle time, so this one is quiet.
      if (this.globalMaxTs - s.maxTs >= idle) quiet.push(s);
      // Wall clock: no result for a while, and no frame is still waiting for a worker (a backlog only delays).
      else if (now - s.seenAt >= idle) {
        backlog ??= await this.framesBacklog();
        if (backlog === 0) quiet.push(s);
      }
    }
    if (quiet.length > 0)
      await this.commit(
        [],
        quiet.map((s) => [s.camera, { frameTimes: [], reads: [], flush: true }]),
      );
    if (!this.lease) return;
    await this.reclaimer.runOnce(this.options.readCount, (entries) => this.apply(entries));
    this.metrics.openPasses.set({ partition: String(this.partition.index) }, countPasses(this.cache));
    const marks = [...this.cache.values()]
      .filter((s) => s.passes.length > 0 && s.done >= 0)
      .map((s) => s.done);
    this.metrics.watermarkLagSeconds.set(
      { partition: String(this.partition.index) },
      marks.length > 0 ? Math.max(0, now - Math.min(...marks)) / 1000 : 0,
    );
  }

  /** Frames not yet recognised (workers group lag + pending); 0 when there is no frames stream or group. */
  private async framesBacklog(): Promise<number> {
    try {
      const g = parseGroupInfo(await this.redis.xinfo('GROUPS', this.keys.frames)).find(
        (x) => x.name === WORKER_GROUP,
      );
      return g ? (g.lag ?? 0) + g.pending : 0;
    } catch {
      return 0;
    }
  }

  /** One batch of results: group by camera, step each camera's state, commit. */
  private async apply(entries: readonly StreamEntry[]): Promise<void> {
    if (!this.lease) return;
    const byCamera = new Map<string, { frameTimes: number[]; reads: PassRead[] }>();
    for (const e of entries) {
      if (e.fields.length === 0) continue;
      const r = decodeResult(e.id, entryFields(e));
      if (r.ts > this.globalMaxTs) this.globalMaxTs = r.ts;
      if (!r.camera || !(r.ts > 0)) {
        this.log.warn({ result: e.id }, 'result without camera or capture time; acknowledged and skipped');
        continue;
      }
      // With one results stream every partition's group sees every result; each keeps its own cameras' and
      // acknowledges the rest. With stream partitions every result of the stream is this partition's.
      if (cameraPartition(r.camera, this.partition.count) !== this.partition.index) continue;
      let batch = byCamera.get(r.camera);
      if (!batch) {
        batch = { frameTimes: [], reads: [] };
        byCamera.set(r.camera, batch);
      }
      batch.frameTimes.push(r.ts);
      batch.reads.push(...readsOfResult(r, this.options.minReadConfidence));
    }
    await this.commit(
      entries.map((e) => e.id),
      [...byCamera],
    );
  }

  private async commit(
    ack: string[],
    steps: [string, { frameTimes: number[]; reads: PassRead[]; flush?: boolean }][],
  ): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    const now = Date.now();
    const next = new Map<string, CameraState>();
    const states = new Map<string, string>();
    const closed: { camera: string; pass: OpenPass }[] = [];
    let late = 0;
    let dropped = 0;
    let merged = 0;
    for (const [camera, input] of steps) {
      const prev = this.cache.get(camera) ?? emptyCameraState(camera);
      const out = stepCamera(prev, { ...input, now }, this.options);
      late += out.late;
      merged += out.merged;
      next.set(camera, out.state);
      states.set(camera, isIdle(out.state) ? '' : JSON.stringify(out.state));
      const others = [...out.state.passes.map(summarise), ...(out.state.recent ?? [])];
      for (const pass of out.closed) {
        if (keepPass(pass, others, this.options)) closed.push({ camera, pass });
        else dropped++;
      }
    }
    const events = closed.map(({ camera, pass }) =>
      passToEvent(camera, pass, { patterns: this.options.cameraPatterns[camera] ?? this.options.patterns }),
    );
    const alerts = await Promise.all(events.map((e) => this.watchlist(e)));
    const counters = new Map<string, number>();
    if (late > 0) counters.set(COUNTER.lateResults, late);
    if (dropped > 0) counters.set(COUNTER.droppedPasses, dropped);
    if (merged > 0) counters.set(COUNTER.mergedPasses, merged);
    if (events.length > 0) counters.set(COUNTER.eventsEmitted, events.length);
    let out: Awaited<ReturnType<typeof emitEvents>>;
    try {
      out = await emitEvents(this.redis, {
        keys: this.keys,
        partition: this.partition,
        lease,
        ack,
        states,
        counters,
        events: events.map((e, i) => ({ fields: encodeEvent(e), alert: alerts[i] })),
        eventsMaxLen: this.options.eventsMaxLen,
        indexMaxLen: this.options.indexMaxLen,
        alertsMaxLen: this.deps.alerts.maxLen,
      });
    } catch (err) {
      // The script may or may not have run: Redis's stored state is the truth, reload it before going on.
      this.needsTakeover = true;
      throw err;
    }
    if (out.kind === 'lease-lost') {
      this.metrics.leaseLost.inc();
      this.lostLease('writing events');
      return;
    }
    for (const [camera, s] of next) {
      if (isIdle(s)) this.cache.delete(camera);
      else this.cache.set(camera, s);
    }
    this.metrics.consumed.inc(ack.length);
    if (late > 0) this.metrics.late.inc(late);
    if (dropped > 0) this.metrics.droppedPasses.inc(dropped);
    if (merged > 0) this.metrics.mergedPasses.inc(merged);
    events.forEach((e, i) => {
      const emitted: EmittedEvent = { ...e, id: out.eventIds[i] ?? '' };
      if (out.alertIds[i]) {
        emitted.alertId = out.alertIds[i];
        this.metrics.alerts.inc();
      }
      this.metrics.emitted.inc();
      this.metrics.framesPerEvent.observe(e.frames);
      this.metrics.latencySeconds.observe(Math.max(0, Date.now() - e.lastTs) / 1000);
      try {
        this.emit('event', emitted);
      } catch (err) {
        this.log.error({ err, event: emitted.id }, "an 'event' listener threw");
      }
    });
    this.metrics.openPasses.set({ partition: String(this.partition.index) }, countPasses(this.cache));
  }

  /** Looks the voted plate up (sets `watchlist`); the alert's fields on a hit. Never throws. */
  private async watchlist(e: EventRecord): Promise<string[] | undefined> {
    const lookup = this.deps.lookup;
    if (!lookup || !e.plate) return undefined;
    const r = await lookup.lookup(e.plate);
    if (r.status !== 'hit') {
      e.watchlist = r.status;
      return undefined;
    }
    e.watchlist = r.fuzzy ? 'hit-fuzzy' : 'hit';
    if (this.deps.alerts.source !== 'events') return undefined;
    return alertFieldList(
      alertPayload(
        r,
        { id: e.bestFrame, camera: e.camera, ts: e.firstTs },
        { plate: e.plate, confidence: e.confidence },
      ),
    );
  }
}

function countPasses(cache: ReadonlyMap<string, CameraState>): number {
  let n = 0;
  for (const s of cache.values()) n += s.passes.length;
  return n;
}
