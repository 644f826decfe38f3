import type { FastifyInstance } from 'fastify';
import { PlatestreamError } from '../shared/errors.ts';
import { normalisePlate, plateProblem } from '../shared/plate-text.ts';
import { readSightings } from '../shared/redis/plate-index.ts';
import type { WebContext } from './app.ts';
import { type EventItem, SOURCES } from './sources.ts';

/** GET /v1/plates/:plate: recent sightings (per-plate index) and events of one plate, newest first. */
export function registerPlateRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Params: { plate: string }; Querystring: { limit?: number } }>(
    '/v1/plates/:plate',
    {
      schema: {
        summary: "A plate's recent sightings (one per result) and events (one per pass) across cameras",
        tags: ['search'],
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['plate'], properties: { plate: { type: 'string' } } },
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
        },
      },
    },
    async (request) => {
      const problem = plateProblem(request.params.plate);
      if (problem)
        throw new PlatestreamError('BAD_REQUEST', `plate "${request.params.plate.slice(0, 20)}": ${problem}`);
      const plate = normalisePlate(request.params.plate);
      const limit = request.query.limit ?? 50;
      const sightings = await readSightings(ctx.redis, ctx.keys, plate, limit);
      // The events index: members `<plate>:<first ms, 13 digits>:<event id>`, read newest first by lex range.
      const members = (await ctx.redis.zrevrangebylex(
        ctx.keys.eventsByPlate,
        `[${plate};`,
        `[${plate}:`,
        'LIMIT',
        0,
        limit,
      )) as string[];
      const events: EventItem[] = [];
      for (const member of members) {
        const id = member.slice(member.lastIndexOf(':') + 1);
        const rows = (await ctx.redis.xrange(ctx.keys.events, id, id)) as [string, string[]][];
        const e = rows[0] && (SOURCES.events.decode(rows[0][0], rows[0][1]) as EventItem | undefined);
        if (e) events.push(e);
      }
      return { plate, sightings, events };
    },
  );
}
