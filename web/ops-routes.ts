import type { FastifyInstance } from 'fastify';
import { PlatestreamError } from '../shared/errors.ts';
import { withTimeout } from '../shared/util/wait.ts';
import type { WebContext } from './app.ts';

/** /healthz, /readyz, /metrics, /openapi.json (no token needed). */
export function registerOpsRoutes(app: FastifyInstance, ctx: WebContext): void {
  const pub = { role: 'public' as const };
  app.get(
    '/healthz',
    { config: pub, schema: { summary: 'The process is alive', tags: ['ops'] } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: pub,
      schema: { summary: 'Redis answers and the shared live reader is running', tags: ['ops'] },
    },
    async () => {
      try {
        await withTimeout(ctx.redis.ping(), 1000, 'PING');
      } catch (err) {
        throw new PlatestreamError('REDIS_UNAVAILABLE', 'Redis does not answer PING within 1 s', {
          cause: err,
        });
      }
      const live = ctx.hub.status();
      if (!live.running)
        throw new PlatestreamError('REDIS_UNAVAILABLE', `the live reader is not running: ${live.problem}`);
      return {
        status: 'ready',
        prefix: ctx.keys.prefix,
        liveClients: live.clients,
        watchlist: !!ctx.watchlist,
      };
    },
  );

  app.get('/metrics', { config: pub, schema: { hide: true } }, async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { config: pub, schema: { hide: true } }, async () => app.swagger());
}
