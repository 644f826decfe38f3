import { createServer, type Server } from 'node:http';
import { closeServer, listenOrExplain } from '../shared/http/listener.ts';
import { handleSignals, once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { checkPartitions, partitionsOf } from '../shared/redis/partitions.ts';
import { delay } from '../shared/util/wait.ts';
import { createEnricher } from '../watchlist/index.ts';
import type { EventsConfig } from './config.ts';
import { EventsMetrics } from './metrics.ts';
import { EventStage } from './stage.ts';

export interface EventsService {
  /** One stage per partition (EVENTS_PARTITIONS); each works only while it holds its partition's lease. */
  stages: EventStage[];
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
  const n = o.partitions;
  const keys = new StreamKeys(config.redis.prefix);
  const redis = createRedis(config.redis, 'consumer', { name: `events-alive:${o.consumer}`, logger: log });
  let alive = 1;
  const held = () => stages.filter((s) => s.leader).length;
  /** This process's share of the partitions: ceil(partitions / live events processes). */
  const share = () => Math.ceil(n / Math.max(1, alive));
  const stages: EventStage[] = Array.from(
    { length: n },
    (_, index) =>
      new EventStage({
        redis: config.redis,
        options: o,
        alerts: config.alerts,
        logger: log,
        metrics,
        lookup,
        partition: { index, count: n },
        mayAcquire: () => held() < share(),
      }),
  );
  const stop = new AbortController();
  /** Heartbeat in `<prefix>:events:alive`; with more than one partition, hands one over when over its share. */
  const heartbeat = async () => {
    const period = Math.max(20, Math.floor(o.lockTtlMs / 4));
    while (!stop.signal.aborted) {
      try {
        const now = Date.now();
        await redis.zadd(keys.eventsAlive, now + 3 * o.lockTtlMs, o.consumer);
        await redis.zremrangebyscore(keys.eventsAlive, '-inf', now);
        alive = Math.max(1, await redis.zcard(keys.eventsAlive));
        if (n > 1 && held() > share())
          await stages
            .filter((s) => s.leader)
            .at(-1)
            ?.handOver();
      } catch (err) {
        log.warn({ err }, 'events heartbeat failed; will retry');
      }
      await delay(period, stop.signal);
    }
  };
  let beating: Promise<void> = Promise.resolve();
  const http = o.httpPort > 0 ? createEventsHttpServer(stages, metrics, log) : undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    try {
      stop.abort();
      await runAll(
        [
          ['heartbeat', () => beating],
          ['events stages', () => Promise.all(stages.map((s) => s.close()))],
          ['alive', () => redis.zrem(keys.eventsAlive, o.consumer)],
          ['redis', () => closeRedis(redis)],
          ['watchlist', () => lookup?.close()],
          ['http listener', () => (http ? closeServer(http) : undefined)],
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
      httpPort = await listenOrExplain(http, o.httpPort, o.httpHost, {
        variable: 'EVENTS_HTTP_PORT',
        what: '/metrics',
      });
      log.info({ port: httpPort }, 'metrics and health listener up (/metrics, /healthz, /readyz)');
    }
    await checkPartitions(redis, partitionsOf(config.redis));
    await redis.zadd(keys.eventsAlive, Date.now() + 3 * o.lockTtlMs, o.consumer);
    alive = Math.max(1, await redis.zcard(keys.eventsAlive));
    beating = heartbeat();
    for (const s of stages) await s.start();
  } catch (err) {
    await close();
    throw err;
  }
  return { stages, httpPort, close, closed };
}

/** GET /metrics (Prometheus), /healthz (loops alive), /readyz (started, not shutting down). */
function createEventsHttpServer(
  stages: readonly EventStage[],
  metrics: EventsMetrics,
  logger: Logger,
): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/healthz')
      return stages.every((s) => s.healthy) ? reply(200, 'ok\n') : reply(503, 'loop stalled\n');
    if (path === '/readyz')
      return stages.every((s) => s.ready) ? reply(200, 'ready\n') : reply(503, 'not ready\n');
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => reply(200, text, metrics.registry.contentType),
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
