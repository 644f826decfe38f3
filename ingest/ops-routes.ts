import type { FastifyInstance } from 'fastify';
import { PlatestreamError } from '../shared/errors.ts';
import { WORKER_GROUP } from '../shared/redis/keys.ts';
import type { IngestContext } from './app.ts';
import { otherBytesOf } from './backlog-monitor.ts';

/** /healthz, /readyz, /metrics, /openapi.json. */
export function registerOpsRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.get('/healthz', { schema: { summary: 'The process is alive', tags: ['ops'] } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Redis reachable and the frames stream and its workers group present',
        tags: ['ops'],
      },
    },
    async () => {
      if (ctx.draining) throw new PlatestreamError('SHUTTING_DOWN', 'the ingest service is shutting down');
      let reading = await ctx.producer.readBacklog();
      if (!reading.groupExists) {
        // A Redis restart without persistence loses the stream and group; put them back.
        await ctx.producer.ensureGroups();
        reading = await ctx.producer.readBacklog();
      }
      const missing = ctx.producer.parts.all.filter((_, p) => !reading.partitions[p]?.groupExists);
      if (missing.length > 0) {
        throw new PlatestreamError(
          'REDIS_UNAVAILABLE',
          `group ${WORKER_GROUP} on ${missing.map((k) => k.frames).join(', ')} is missing`,
        );
      }
      return {
        status: 'ready',
        stream: ctx.producer.parts.all[0]!.frames,
        partitions: ctx.producer.parts.count,
        backlog: reading.backlog,
        length: reading.length,
        memoryBytes: reading.memoryBytes,
        // What LPR_STREAM_MEMORY_BUDGET limits: frames + DLQ + results + events.
        otherBytes: reading.otherBytes,
        totalBytes: reading.memoryBytes + otherBytesOf(reading),
        budgetBytes: ctx.config.backpressure.memoryBudgetBytes,
        policy: ctx.config.backpressure.policy,
      };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
