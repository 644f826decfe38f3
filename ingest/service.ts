import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../shared/redis/connection.ts';
import { handleSignals, once, runAll } from '../shared/lifecycle.ts';
import { isPlatestreamError } from '../shared/errors.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { appendOnlyGaugeValue, checkAppendOnly } from '../shared/redis/persistence.ts';
import { buildIngestApp } from './app.ts';
import type { IngestConfig } from './config.ts';
import { createIngestMetrics } from './metrics.ts';

export interface IngestService {
  app: FastifyInstance;
  redis: RedisClient;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  port: number;
  /** Stop accepting (503 for new frame requests), finish in-flight ones, close Redis. Idempotent. */
  close(): Promise<void>;
  /** Resolves once `close()` has finished. */
  closed: Promise<void>;
}

/**
 * Starts the ingest service: producer connection, app, listen. With `signals` (the CLI), SIGTERM/SIGINT run
 * `close()`, flush logs and exit 0 under the configured hard timeout.
 */
export async function startIngest(
  config: IngestConfig,
  opts: { logger?: Logger; signals?: boolean } = {},
): Promise<IngestService> {
  const logger = opts.logger ?? moduleLogger('ingest');
  const redis = createRedis(config.redis, 'producer', { name: 'ingest', logger });
  const app = await buildIngestApp(config, {
    redis,
    logger,
    metrics: createIngestMetrics({ defaultMetrics: opts.signals === true }),
  });
  const { producer } = app.ingest;

  // (Re)create the stream and group whenever the connection becomes ready, e.g. after a Redis restart
  // that lost its data, so frames written meanwhile are still delivered to the workers.
  const ensure = () => {
    producer
      .ensureGroups()
      .catch((err: unknown) => logger.warn({ err }, 'could not create the consumer groups'));
  };
  redis.on('ready', ensure);
  try {
    await waitReady(redis, config.redis.connectTimeoutMs * 2);
  } catch (err) {
    logger.warn({ err }, 'Redis is not reachable yet; frame requests get 503 until it is');
  }
  if (redis.status === 'ready') {
    await producer.ensureGroups().catch((err: unknown) => {
      // Another partition count than the data's: refuse to start (the message names LPR_PARTITIONS).
      if (isPlatestreamError(err, 'PARTITIONS_MISMATCH')) throw err;
    });
    app.ingest.metrics.redisAppendOnly.set(appendOnlyGaugeValue(await checkAppendOnly(redis, logger)));
  }

  if (config.auth.mode === 'open') {
    logger.warn('LPR_AUTH=open: frame requests are NOT authenticated; use this only for local demos');
  }

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  logger.info(
    {
      port,
      host: config.host,
      stream: app.ingest.producer.parts.all[0]!.frames,
      partitions: config.redis.partitions,
      policy: config.backpressure.policy,
    },
    'ingest listening',
  );

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    app.ingest.startDraining();
    try {
      await runAll(
        [
          ['http server', () => app.close()],
          ['redis', () => closeRedis(redis)],
        ],
        logger,
      );
      logger.info('ingest stopped');
    } finally {
      resolveClosed();
    }
  });
  if (opts.signals) handleSignals(() => close(), { timeoutMs: config.shutdownTimeoutMs, logger });
  return {
    app,
    redis,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close,
    closed,
  };
}
