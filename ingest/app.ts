import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { RedisClient } from '../shared/redis/connection.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { errorBody } from '../shared/http/fastify-errors.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { withTimeout } from '../shared/util/wait.ts';
import { CameraAuth } from './auth.ts';
import type { IngestConfig } from './config.ts';
import { FRAMES_ROUTE, registerFramesRoute } from './frames-route.ts';
import { toHttpError } from './http-errors.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { FrameRouter } from './frame-router.ts';

export interface IngestDeps {
  /** Producer-role connection (createRedis(config.redis, 'producer')): fails fast when Redis is down. */
  redis: RedisClient;
  logger?: Logger;
  metrics?: IngestMetrics;
  /** Defaults to the table built from `config.auth`. */
  auth?: CameraAuth;
}

/** What the ingest app carries besides Fastify itself. */
export interface IngestContext {
  config: IngestConfig;
  /** Writes each frame to its camera's partition (one FrameProducer per partition). */
  producer: FrameRouter;
  metrics: IngestMetrics;
  auth: CameraAuth;
  /** Keys that are not per partition; with LPR_PARTITIONS=1 also the one partition's (`lpr:frames`). */
  keys: StreamKeys;
  /** Refuse new frame requests with 503 SHUTTING_DOWN (in-flight ones finish). */
  startDraining(): void;
  readonly draining: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestContext;
  }
}

const RETRY_CODES = new Set(['BACKPRESSURE', 'REDIS_UNAVAILABLE', 'SHUTTING_DOWN', 'REPLICA_WAIT_TIMEOUT']);
const CLOSE_CODES = new Set(['SHUTTING_DOWN', 'UNAUTHORIZED', 'FORBIDDEN']);

/**
 * Builds the ingest HTTP app without listening, so tests can call `app.inject()` or `app.listen()`.
 * Routes: POST /v1/cameras/:camera/frames, GET /healthz, /readyz, /metrics, /openapi.json.
 */
export async function buildIngestApp(config: IngestConfig, deps: IngestDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? moduleLogger('ingest');
  const metrics = deps.metrics ?? createIngestMetrics();
  const auth = deps.auth ?? CameraAuth.fromOptions(config.auth);
  const parts = partitionsOf(config.redis);
  const keys = parts.global;
  const producer = new FrameRouter(
    deps.redis,
    parts,
    config.backpressure,
    {
      onDropped: (n) => metrics.framesDropped.inc(n),
      onReading: (r) => {
        metrics.backlog.set(r.backlog);
        metrics.streamMemory.set(r.memoryBytes);
      },
    },
    logger,
  );
  // Bounded: a scrape during a Redis outage answers with the last values instead of hanging.
  metrics.setBacklogSource(() =>
    withTimeout(producer.readBacklog(), 1000, 'reading the backlog for /metrics'),
  );

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    // A pino child logger per request costs more than the rest of the request handling; without request
    // logging, requests share the module logger and error lines carry the request id themselves.
    ...(config.logRequests ? {} : { childLoggerFactory: (parent: FastifyBaseLogger) => parent }),
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: false,
    // Slow clients: the whole request must arrive within requestTimeoutMs (Node answers 408 and closes);
    // Node checks every connectionsCheckingInterval, so that is kept well below the timeout.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(10_000, config.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.requestTimeoutMs / 4))),
    },
    forceCloseConnections: 'idle',
  });

  let draining = false;
  const ctx: IngestContext = {
    config,
    producer,
    metrics,
    auth,
    keys,
    startDraining: () => {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
  app.decorate('ingest', ctx);

  // Only image bodies and multipart forms are parsed; everything else is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['image/jpeg', 'image/png', 'image/webp'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );
  await app.register(multipart, {
    limits: { fileSize: config.bodyLimitBytes, files: 1, fields: 8, parts: 10, fieldSize: 8192 },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'platestream ingest',
        version: '1',
        description: 'Cameras push frames; each accepted frame becomes one entry of the frames Redis stream.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: ({ schema, url }) => {
      if (url !== FRAMES_ROUTE || !schema) return { schema, url };
      const binary = { schema: { type: 'string', format: 'binary' } };
      return {
        schema: {
          ...schema,
          body: {
            content: {
              'image/jpeg': binary,
              'image/png': binary,
              'image/webp': binary,
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['image'],
                  properties: {
                    image: { type: 'string', format: 'binary' },
                    ts: { type: 'string' },
                    seq: { type: 'string' },
                    meta: { type: 'string' },
                  },
                },
              },
            },
          },
        } as typeof schema,
        url,
      };
    },
  });

  app.setErrorHandler((raw, request, reply) => {
    const err = toHttpError(raw, { bodyLimitBytes: config.bodyLimitBytes });
    const where = { reqId: request.id, method: request.method, url: request.url };
    if (err.code === 'INTERNAL') request.log.error({ err: raw, ...where }, 'unexpected error');
    else if (err.code === 'REDIS_UNAVAILABLE') request.log.warn({ err: raw, ...where }, 'redis unavailable');
    if (isFramesRoute(request)) metrics.framesRejected.inc({ reason: err.code });
    if (RETRY_CODES.has(err.code)) reply.header('retry-after', String(config.backpressure.retryAfterSeconds));
    // After an auth failure the rest of the body is not wanted: close instead of reading it (a client that
    // trickles bytes must not keep the connection).
    if (CLOSE_CODES.has(err.code)) reply.header('connection', 'close');
    return reply.code(err.status).send(errorBody(err));
  });

  app.setNotFoundHandler((request, reply) => {
    const err = new PlatestreamError(
      'NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]}; frames go to POST /v1/cameras/{camera}/frames, the API is described at GET /openapi.json`,
    );
    return reply.code(404).send(errorBody(err));
  });

  // While draining, answers close their connection so keep-alive sockets do not hold the shutdown open.
  // Hooks on the frame path are callback-style: an async hook costs a promise per request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  const observeDuration = durationObserver(metrics);
  app.addHook('onResponse', (request, reply, done) => {
    observeDuration(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  registerFramesRoute(app, { config, auth, producer, metrics, isDraining: () => draining });
  registerOpsRoutes(app, ctx);
  return app;
}

/**
 * Observes request durations through labelled children cached by route, method and status: prom-client
 * validates and hashes the label object on every `observe(labels, v)`, which shows on the frame path.
 */
function durationObserver(
  metrics: IngestMetrics,
): (route: string | undefined, method: string, status: number, seconds: number) => void {
  const children = new Map<string, { observe(v: number): void }>();
  return (route, method, status, seconds) => {
    const key = `${route ?? 'unmatched'} ${method} ${status}`;
    let child = children.get(key);
    if (child === undefined) {
      // Unmatched URLs all share the label 'unmatched', so the map stays as small as the route table.
      child = metrics.requestDuration.labels({
        route: route ?? 'unmatched',
        method,
        status: String(status),
      });
      children.set(key, child);
    }
    child.observe(seconds);
  };
}

function isFramesRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url === FRAMES_ROUTE;
}
