import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of the ingest service, on a registry of their own (one per app, so tests can build
 * several). Later changes extend this object rather than creating metrics elsewhere.
 */
export interface IngestMetrics {
  registry: Registry;
  framesAccepted: Counter<'format'>;
  framesRejected: Counter<'reason'>;
  framesDropped: Counter;
  framesDuplicate: Counter;
  requestDuration: Histogram<'route' | 'method' | 'status'>;
  requestsInFlight: Gauge;
  backlog: Gauge;
  streamMemory: Gauge;
  /** platestream_redis_appendonly: 1 appendonly yes, 0 no, -1 unknown (read at start-up). */
  redisAppendOnly: Gauge;
  /**
   * Where the backlog and stream-memory gauges read Redis when /metrics is scraped (so they show the
   * group's state now, not the reading of the last admitted frame). A failed read keeps the last value.
   */
  setBacklogSource(read: () => Promise<{ backlog: number; memoryBytes: number }>): void;
}

export function createIngestMetrics(opts: { defaultMetrics?: boolean } = {}): IngestMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'platestream_ingest_' });
  const registers = [registry];
  let source: (() => Promise<{ backlog: number; memoryBytes: number }>) | undefined;
  // Both gauges are collected in one scrape: they share one read.
  let reading: Promise<{ backlog: number; memoryBytes: number } | undefined> | undefined;
  const readNow = () => {
    reading ??= (source?.() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  return {
    setBacklogSource: (read) => {
      source = read;
    },
    registry,
    redisAppendOnly: new Gauge({
      name: 'platestream_redis_appendonly',
      help: 'Redis persistence seen at start-up: 1 appendonly yes, 0 no (a crash loses frames answered 202), -1 unknown (CONFIG refused)',
      registers,
    }),
    framesAccepted: new Counter({
      name: 'platestream_ingest_frames_accepted_total',
      help: 'Frames written to the frames stream, by request format (raw or multipart).',
      labelNames: ['format'],
      registers,
    }),
    framesRejected: new Counter({
      name: 'platestream_ingest_frames_rejected_total',
      help: 'Frame requests answered with an error, by error code (BACKPRESSURE, UNAUTHORIZED, IMAGE_MISMATCH, ...).',
      labelNames: ['reason'],
      registers,
    }),
    framesDropped: new Counter({
      name: 'platestream_ingest_frames_dropped_total',
      help: 'Undelivered frames deleted by this process under the drop-oldest policy (Redis keeps the global count).',
      registers,
    }),
    framesDuplicate: new Counter({
      name: 'platestream_ingest_frames_duplicate_total',
      help: 'Retried frame requests (same Idempotency-Key, or camera + seq + ts, within the window) answered with the first id; nothing written.',
      registers,
    }),
    requestDuration: new Histogram({
      name: 'platestream_ingest_request_duration_seconds',
      help: 'HTTP request latency by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    requestsInFlight: new Gauge({
      name: 'platestream_ingest_requests_in_flight',
      help: 'Frame requests received (headers read) and not yet answered.',
      registers,
    }),
    backlog: new Gauge({
      name: 'platestream_ingest_backlog_frames',
      help: 'Backlog of the workers group (lag + pending), read from Redis at scrape time.',
      registers,
      async collect() {
        const r = await readNow();
        if (r) this.set(r.backlog);
      },
    }),
    streamMemory: new Gauge({
      name: 'platestream_ingest_stream_memory_bytes',
      help: 'MEMORY USAGE of the frames stream (sampled), read from Redis at scrape time.',
      registers,
      async collect() {
        const r = await readNow();
        if (r) this.set(r.memoryBytes);
      },
    }),
  };
}
