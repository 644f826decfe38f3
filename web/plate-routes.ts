import { partitionedId } from '../shared/redis/stream/merged.ts';
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
      // Every partition keeps its own sightings and event index (its cameras'): merge, newest first.
      const sightings = (
        await Promise.all(
          ctx.parts.all.map(async (k, p) =>
            (
              await readSightings(ctx.redis, k, plate, limit)
            ).map((s) => ({
              ...s,
              resultId: partitionedId(s.resultId, p, ctx.parts.count),
            })),
          ),
        )
      )
        .flat()
        .sort((a, b) => b.ts - a.ts)
        .slice(0, limit);
      // The events index: members `<plate>:<first ms, 13 digits>:<event id>`, read newest first by lex range.
      const found: { member: string; p: number }[] = [];
      for (const [p, k] of ctx.parts.all.entries()) {
        const members = (await ctx.redis.zrevrangebylex(
          k.eventsByPlate,
          `[${plate};`,
          `[${plate}:`,
          'LIMIT',
          0,
          limit,
        )) as string[];
        for (const member of members) found.push({ member, p });
      }
      found.sort((a, b) => (a.member < b.member ? 1 : a.member > b.member ? -1 : b.p - a.p));
      const events: EventItem[] = [];
      for (const { member, p } of found.slice(0, limit)) {
        const id = member.slice(member.lastIndexOf(':') + 1);
        const rows = (await ctx.redis.xrange(ctx.parts.all[p]!.events, id, id)) as [string, string[]][];
        const e =
          rows[0] &&
          (SOURCES.events.decode(partitionedId(rows[0][0], p, ctx.parts.count), rows[0][1]) as
            | EventItem
            | undefined);
        if (e) events.push(e);
      }
      return { plate, sightings, events };
    },
  );
}
