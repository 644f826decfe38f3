import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const E2E_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface GroupGauges {
  lag: number;
  pending: number;
  /** Live consumers (workers sending heartbeats). */
  consumers: number;
  /** Consumers still listed in the group without a heartbeat (killed or crashed workers). */
  deadConsumers: number;
}

/** Prometheus metrics of one worker; each Worker gets its own registry (tests run several per process). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly processed: Counter<'outcome'>;
  readonly deadLettered: Counter<'stage'>;
  readonly staleCompletions: Counter;
  readonly retries: Counter<'stage'>;
  readonly reclaimed: Counter;
  readonly reclaimDeleted: Counter;
  readonly watchdogResets: Counter;
  readonly trimmed: Counter;
  readonly consumersRemoved: Counter;
  readonly alerts: Counter<'outcome'>;
  readonly stageSeconds: Histogram<'stage'>;
  readonly endToEndSeconds: Histogram;
  readonly inFlight: Gauge;
  readonly leader: Gauge;
  /** Age of the oldest entry per stream that holds reads or images (set by the housekeeping leader). */
  readonly oldestAge: Gauge<'kind'>;
  /** Entries removed by the age limits (DLQ_RETENTION_MS, ALERTS_RETENTION_MS, EVENTS_RETENTION_MS). */
  readonly trimmedByAge: Counter<'kind'>;
  /** 1 when Redis runs with appendonly yes, 0 when not, -1 when it cannot be read (checked at start-up). */
  readonly redisAppendOnly: Gauge;
  readonly modelInfo: Gauge<'model' | 'consumer'>;
  private groupStats: (() => Promise<GroupGauges | undefined>) | undefined;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.processed = new Counter({
      name: 'platestream_worker_frames_processed_total',
      help: 'Frames completed with a result written (outcome: plate, noplate, or static = skipped as unchanged)',
      labelNames: ['outcome'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'platestream_worker_dead_lettered_total',
      help: 'Frames moved to the DLQ, by stage (decode, inference, reclaim)',
      labelNames: ['stage'],
      registers,
    });
    this.staleCompletions = new Counter({
      name: 'platestream_worker_stale_completions_total',
      help: 'Completions that wrote nothing because the frame had been reclaimed and finished elsewhere',
      registers,
    });
    this.retries = new Counter({
      name: 'platestream_worker_transient_failures_total',
      help: 'Transient failures left pending for a retry after claimIdleMs',
      labelNames: ['stage'],
      registers,
    });
    this.reclaimed = new Counter({
      name: 'platestream_worker_reclaimed_total',
      help: 'Entries reclaimed from idle consumers (XAUTOCLAIM)',
      registers,
    });
    this.reclaimDeleted = new Counter({
      name: 'platestream_worker_reclaim_deleted_total',
      help: 'Pending entries that no longer existed in the stream when reclaimed (trimmed or deleted)',
      registers,
    });
    this.watchdogResets = new Counter({
      name: 'platestream_worker_read_watchdog_resets_total',
      help: 'Blocking reads that outlived BLOCK + margin and had their connection replaced',
      registers,
    });
    this.trimmed = new Counter({
      name: 'platestream_worker_frames_trimmed_total',
      help: 'Acknowledged frames trimmed from the frames stream by housekeeping',
      registers,
    });
    this.consumersRemoved = new Counter({
      name: 'platestream_worker_consumers_removed_total',
      help: 'Idle consumers with no pending entries removed from the group',
      registers,
    });
    this.alerts = new Counter({
      name: 'platestream_worker_alerts_total',
      help: 'Watchlist alerts passed to the completion script (outcome: sent or suppressed)',
      labelNames: ['outcome'],
      registers,
    });
    this.stageSeconds = new Histogram({
      name: 'platestream_worker_stage_seconds',
      help: 'Time per frame and stage (queue = entry id time to start, decode, inference, complete, total)',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.endToEndSeconds = new Histogram({
      name: 'platestream_worker_end_to_end_seconds',
      help: 'From the frame entering the stream (entry id time) to its result being written',
      buckets: E2E_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'platestream_worker_in_flight',
      help: 'Frames being processed now',
      registers,
    });
    this.leader = new Gauge({
      name: 'platestream_worker_housekeeping_leader',
      help: '1 while this worker holds the housekeeping lease',
      registers,
    });
    this.oldestAge = new Gauge({
      name: 'platestream_oldest_item_age_seconds',
      help: 'Age of the oldest entry of each stream holding reads or images (frames, results, dlq, alerts, events); set by the housekeeping leader',
      labelNames: ['kind'],
      registers,
    });
    this.trimmedByAge = new Counter({
      name: 'platestream_trimmed_by_age_total',
      help: "Entries removed by housekeeping because they were older than their kind's age limit (DLQ_RETENTION_MS, ALERTS_RETENTION_MS, EVENTS_RETENTION_MS)",
      labelNames: ['kind'],
      registers,
    });
    this.redisAppendOnly = new Gauge({
      name: 'platestream_redis_appendonly',
      help: 'Redis persistence seen at start-up: 1 appendonly yes, 0 no (a crash loses acknowledged frames), -1 unknown (CONFIG refused)',
      registers,
    });
    this.modelInfo = new Gauge({
      name: 'platestream_worker_model_info',
      help: 'Always 1; labels name the recogniser model and the consumer',
      labelNames: ['model', 'consumer'],
      registers,
    });
    // Group-wide figures, read from Redis (XINFO GROUPS) when /metrics is scraped.
    const self = this;
    const groupGauge = (name: string, help: string, pick: (g: GroupGauges) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const g = await self.groupStats?.().catch(() => undefined);
          if (g) this.set(pick(g));
        },
      });
    groupGauge(
      'platestream_group_lag',
      'Frames in the stream not yet delivered to the workers group',
      (g) => g.lag,
    );
    groupGauge(
      'platestream_group_pending',
      'Frames delivered to a worker and not yet acknowledged',
      (g) => g.pending,
    );
    groupGauge(
      'platestream_group_consumers',
      'Live consumers (workers with a recent heartbeat) in the workers group',
      (g) => g.consumers,
    );
    groupGauge(
      'platestream_group_consumers_dead',
      'Consumers still listed in the workers group without a heartbeat (killed or crashed workers)',
      (g) => g.deadConsumers,
    );
    if (opts.defaultMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'platestream_worker_' });
  }

  /** Where the group gauges read their values at scrape time. */
  setGroupGaugesSource(fn: () => Promise<GroupGauges | undefined>): void {
    this.groupStats = fn;
  }
}
