import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the web service, on a registry of its own (one per app, so tests can build several). */
export interface WebMetrics {
  registry: Registry;
  requestDuration: Histogram<'route' | 'method' | 'status'>;
  liveClients: Gauge;
  liveMessages: Counter<'stream'>;
  liveDropped: Counter<'reason'>;
  liveReadErrors: Counter;
}

export function createWebMetrics(opts: { defaultMetrics?: boolean } = {}): WebMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'platestream_web_' });
  const registers = [registry];
  return {
    registry,
    requestDuration: new Histogram({
      name: 'platestream_web_request_duration_seconds',
      help: 'HTTP request latency by route, method and status (live connections count when they close).',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    liveClients: new Gauge({
      name: 'platestream_web_live_clients',
      help: 'Open GET /v1/live connections.',
      registers,
    }),
    liveMessages: new Counter({
      name: 'platestream_web_live_messages_total',
      help: 'Live feed messages written to clients, by stream (catch-up and live tail).',
      labelNames: ['stream'],
      registers,
    }),
    liveDropped: new Counter({
      name: 'platestream_web_live_dropped_total',
      help: 'Live clients disconnected by the server, by reason (slow-client, shutting-down).',
      labelNames: ['reason'],
      registers,
    }),
    liveReadErrors: new Counter({
      name: 'platestream_web_live_read_errors_total',
      help: 'Failed reads of the shared live reader (retried; nothing is skipped).',
      registers,
    }),
  };
}
