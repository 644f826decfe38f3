import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one events-stage process (each EventStage gets its own registry). */
export class EventsMetrics {
  readonly registry = new Registry();
  readonly emitted: Counter;
  readonly framesPerEvent: Histogram;
  readonly latencySeconds: Histogram;
  readonly consumed: Counter;
  readonly late: Counter;
  readonly droppedPasses: Counter;
  readonly mergedPasses: Counter;
  readonly alerts: Counter;
  readonly leaseLost: Counter;
  readonly openPasses: Gauge<'partition'>;
  readonly watermarkLagSeconds: Gauge<'partition'>;
  readonly leader: Gauge;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.emitted = new Counter({
      name: 'platestream_events_emitted_total',
      help: 'Vehicle events written (one per pass)',
      registers,
    });
    this.framesPerEvent = new Histogram({
      name: 'platestream_events_frames_per_event',
      help: 'Frames whose reads made up each event',
      buckets: [1, 2, 3, 5, 8, 12, 20, 30, 50, 100],
      registers,
    });
    this.latencySeconds = new Histogram({
      name: 'platestream_events_latency_seconds',
      help: "From the pass's last capture time to its event being written",
      buckets: [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120],
      registers,
    });
    this.consumed = new Counter({
      name: 'platestream_events_results_consumed_total',
      help: 'Results acknowledged by the events stage',
      registers,
    });
    this.late = new Counter({
      name: 'platestream_events_late_results_total',
      help: "Results that arrived after their camera's watermark had passed them (still voted in)",
      registers,
    });
    this.droppedPasses = new Counter({
      name: 'platestream_events_dropped_passes_total',
      help: 'Passes closed with fewer reads than EVENTS_MIN_READS (no event)',
      registers,
    });
    this.mergedPasses = new Counter({
      name: 'platestream_events_merged_passes_total',
      help: 'Closing passes joined to another pass as fragments of one vehicle (no event of their own)',
      registers,
    });
    this.alerts = new Counter({
      name: 'platestream_events_alerts_total',
      help: 'Watchlist alerts written (one per pass on the voted plate)',
      registers,
    });
    this.leaseLost = new Counter({
      name: 'platestream_events_lease_lost_total',
      help: 'Commits refused because the partition lease had passed to another process',
      registers,
    });
    this.openPasses = new Gauge({
      name: 'platestream_events_open_passes',
      help: 'Passes open (not yet closed by the watermark), per partition this process holds',
      labelNames: ['partition'],
      registers,
    });
    this.watermarkLagSeconds = new Gauge({
      name: 'platestream_events_watermark_lag_seconds',
      help: 'Wall clock minus the oldest camera watermark with open passes (how far behind events run), per partition',
      labelNames: ['partition'],
      registers,
    });
    this.leader = new Gauge({
      name: 'platestream_events_leader',
      help: 'Partitions whose lease this process holds',
      registers,
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
