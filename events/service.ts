import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleSignals, once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { createEnricher } from '../watchlist/index.ts';
import type { EventsConfig } from './config.ts';
import { EventsMetrics } from './metrics.ts';
import { EventStage } from './stage.ts';

export interface EventsService {
  stage: EventStage;
  /** Port of /metrics, /healthz, /readyz; undefined when EVENTS_HTTP_PORT=0. */
  httpPort: number | undefined;
  /** Stops the stage (open passes stay in Redis), the watchlist and the listener. Idempotent. */
  close(): Promise<void>;
  closed: Promise<void>;
}

/**
 * Starts one events process: watchlist lookup (when DATABASE_URL is set), the stage, the HTTP listener;
 * one shutdown path (SIGTERM/SIGINT with `signals`).
 */
export async function startEvents(
  config: EventsConfig,
  opts: { logger?: Logger; signals?: boolean } = {},
): Promise<EventsService> {
  const log = opts.logger ?? moduleLogger('events');
  const o = config.events;
  const metrics = new EventsMetrics({ defaultMetrics: opts.signals === true });
  const lookup = await createEnricher({
    redis: config.redis,
    watchlist: config.watchlist,
    logger: moduleLogger('watchlist'),
    registry: metrics.registry,
  });
  const stage = new EventStage({
    redis: config.redis,
    options: o,
    alerts: config.alerts,
    logger: log,
    metrics,
    lookup,
  });
  const http = o.httpPort > 0 ? createEventsHttpServer(stage, log) : undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    try {
      await runAll(
        [
          ['events stage', () => stage.close()],
          ['watchlist', () => lookup?.close()],
          ['http listener', () => (http ? new Promise<void>((r) => http.close(() => r())) : undefined)],
        ],
        log,
      );
    } finally {
      resolveClosed();
    }
  });
  if (opts.signals) handleSignals(close, { timeoutMs: o.shutdownTimeoutMs, logger: log });
  let httpPort: number | undefined;
  try {
    if (http) {
      httpPort = await new Promise<number>((resolve, reject) => {
        http.once('error', reject);
        http.listen(o.httpPort, o.httpHost, () => resolve((http.address() as AddressInfo).port));
      });
      log.info({ port: httpPort }, 'metrics and health listener up (/metrics, /healthz, /readyz)');
    }
    await stage.start();
  } catch (err) {
    await close();
    throw err;
  }
  return { stage, httpPort, close, closed };
}

/** GET /metrics (Prometheus), /healthz (loops alive), /readyz (started, not shutting down). */
function createEventsHttpServer(stage: EventStage, logger: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/healthz') return stage.healthy ? reply(200, 'ok\n') : reply(503, 'loop stalled\n');
    if (path === '/readyz') return stage.ready ? reply(200, 'ready\n') : reply(503, 'not ready\n');
    if (path === '/metrics') {
      stage.metrics.registry.metrics().then(
        (text) => reply(200, text, stage.metrics.registry.contentType),
        (err: unknown) => {
          logger.warn({ err }, 'collecting metrics failed');
          reply(500, 'metrics unavailable\n');
        },
      );
      return;
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
}
