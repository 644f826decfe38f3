import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { RedisClient } from '../shared/redis/connection.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { errorBody } from '../shared/http/fastify-errors.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { type Partitions, partitionsOf } from '../shared/redis/partitions.ts';
import { registerAdminRoutes, type WatchlistAccess } from './admin-routes.ts';
import { registerAuditHook } from './audit-hook.ts';
import { WebAuth, type WebRole } from './auth.ts';
import type { WebConfig } from './config.ts';
import { registerFrameRoutes } from './frame-routes.ts';
import { toWebError } from './http-errors.ts';
import type { LiveHub } from './live-hub.ts';
import { registerLiveRoute } from './live-route.ts';
import { createWebMetrics, type WebMetrics } from './metrics.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { registerPlateRoutes } from './plate-routes.ts';
import { registerSearchRoutes } from './search-routes.ts';
import { registerStaticRoutes } from './static-routes.ts';

export interface WebDeps {
  /** Producer-role connection (createRedis(config.redis, 'producer')): fails fast when Redis is down. */
  redis: RedisClient;
  /** The process's one shared live reader (started by the caller). */
  hub: LiveHub;
  logger?: Logger;
  metrics?: WebMetrics;
  auth?: WebAuth;
  /** The watchlist store and admin; absent: the watchlist endpoints answer 503 (DATABASE_URL not set). */
  watchlist?: WatchlistAccess;
}

/** What the web app carries besides Fastify itself. */
export interface WebContext {
  config: WebConfig;
  redis: RedisClient;
  /** Keys that are not per partition (with LPR_PARTITIONS=1: the one partition's too). */
  keys: StreamKeys;
  /** Every partition's keys (LPR_PARTITIONS); readers merge across them. */
  parts: Partitions;
  hub: LiveHub;
  metrics: WebMetrics;
  auth: WebAuth;
  logger: Logger;
  watchlist: WatchlistAccess | undefined;
  /** Refuse new requests with 503 SHUTTING_DOWN and end live connections. */
  startDraining(): void;
  readonly draining: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; 'public' for the page, health and metrics. Default: viewer. */
    role?: WebRole | 'public';
  }
}

/**
 * Builds the web app without listening (tests call `app.inject()` or `app.listen()`). Routes: the API under
 * /v1 (bearer token with a role), the page at /, /healthz, /readyz, /metrics, /openapi.json.
 */
export async function buildWebApp(
  config: WebConfig,
  deps: WebDeps,
): Promise<{
  app: FastifyInstance;
  ctx: WebContext;
}> {
  const logger = deps.logger ?? moduleLogger('web');
  const metrics = deps.metrics ?? createWebMetrics();
  const auth =
    deps.auth ?? (config.auth.mode === 'open' ? WebAuth.open() : WebAuth.fromText(config.auth.tokens ?? ''));
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    bodyLimit: 10 * 1024 * 1024,
    return503OnClosing: false,
    forceCloseConnections: true,
  });
  let draining = false;
  const ctx: WebContext = {
    config,
    redis: deps.redis,
    keys: partitionsOf(config.redis).global,
    parts: partitionsOf(config.redis),
    hub: deps.hub,
    metrics,
    auth,
    logger,
    watchlist: deps.watchlist,
    startDraining: () => {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'platestream web',
        version: '1',
        description:
          'Read the pipeline (events, results, alerts, frames, plate history, stats), follow it live over Server-Sent Events with Last-Event-ID resume, and manage the watchlist and dead letters. Every /v1 route needs "Authorization: Bearer <token>"; viewer tokens read, admin tokens also change the watchlist and requeue dead letters.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((raw, request, reply) => {
    const err = toWebError(raw);
    const where = { reqId: request.id, method: request.method, url: request.url.split('?')[0] };
    if (err.code === 'INTERNAL') request.log.error({ err: raw, ...where }, 'unexpected error');
    else if (err.code === 'REDIS_UNAVAILABLE' || err.code === 'DATABASE_UNAVAILABLE') {
      request.log.warn({ err: raw, ...where }, 'dependency unavailable');
    }
    if (err.status === 503) reply.header('retry-after', '1');
    if (err.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
    return reply.code(err.status).send(errorBody(err));
  });

  app.setNotFoundHandler((request, reply) => {
    const err = new PlatestreamError(
      'NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]}; the API is described at GET /openapi.json`,
    );
    return reply.code(404).send(errorBody(err));
  });

  app.addHook('onRequest', (request, _reply, done) => {
    // Unknown routes fall through to the 404 handler without a token check.
    const role =
      request.routeOptions.url === undefined ? 'public' : (request.routeOptions.config?.role ?? 'viewer');
    try {
      if (draining && request.routeOptions.url !== '/healthz') {
        throw new PlatestreamError(
          'SHUTTING_DOWN',
          'the web service is shutting down; retry on another instance',
        );
      }
      if (role !== 'public') auth.check(request.headers.authorization, role);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  registerAuditHook(app, ctx);
  registerSearchRoutes(app, ctx);
  registerFrameRoutes(app, ctx);
  registerPlateRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerLiveRoute(app, ctx);
  registerOpsRoutes(app, ctx);
  registerStaticRoutes(app);
  return { app, ctx };
}
