import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from './app.ts';
import { compileSearch, csvField, PLATE_MATCHES, type SearchQuery, searchAll, searchPage } from './search.ts';
import { SOURCES, type SourceName } from './sources.ts';

const QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    camera: { type: 'string', description: 'camera id, or several separated by ","' },
    plate: { type: 'string', description: 'plate text; * and ? are wildcards' },
    match: {
      type: 'string',
      enum: [...PLATE_MATCHES],
      description: 'default: glob with wildcards, else exact',
    },
    from: {
      type: 'string',
      description: 'oldest: stream id, ms epoch, ISO date or relative (-10m, -2h, -1d)',
    },
    to: { type: 'string', description: 'newest: the same forms as from' },
    minConfidence: { type: 'number', minimum: 0, maximum: 1 },
    watchlist: { type: 'boolean', description: 'only watchlist hits' },
    withEmpty: { type: 'boolean', description: 'results: include frames without a plate' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
    cursor: { type: 'string', description: 'the "next" of the previous page' },
  },
} as const;

const PAGE_SCHEMA = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', additionalProperties: true } },
    next: { type: 'string', nullable: true, description: 'cursor of the next (older) page; null at the end' },
    scanned: { type: 'integer' },
  },
} as const;

const SUMMARY: Record<SourceName, string> = {
  events: 'Vehicle events (one per pass), newest first',
  results: 'Recognition results (one per frame), newest first',
  alerts: 'Watchlist alerts, newest first',
};

/** GET /v1/{events,results,alerts} (JSON pages) and their .csv exports (streamed). */
export function registerSearchRoutes(app: FastifyInstance, ctx: WebContext): void {
  for (const name of ['events', 'results', 'alerts'] as const) {
    const source = SOURCES[name];
    app.get<{ Querystring: SearchQuery }>(
      `/v1/${name}`,
      {
        schema: {
          summary: SUMMARY[name],
          tags: ['search'],
          security: [{ bearer: [] }],
          querystring: QUERY_SCHEMA,
          response: { 200: PAGE_SCHEMA },
        },
      },
      async (request) => {
        const plan = compileSearch(request.query, { allowEmpty: name === 'results' });
        return searchPage(ctx.redis, ctx.parts.all.map(source.stream), source, plan, {
          limit: request.query.limit ?? 50,
          maxScan: ctx.config.maxScan,
        });
      },
    );
    app.get<{ Querystring: SearchQuery }>(
      `/v1/${name}.csv`,
      {
        schema: {
          summary: `${SUMMARY[name]}, as CSV (streamed; every match up to 1 000 000 rows)`,
          tags: ['search'],
          security: [{ bearer: [] }],
          querystring: QUERY_SCHEMA,
          produces: ['text/csv'],
        },
      },
      async (request, reply) => {
        const plan = compileSearch(request.query, { allowEmpty: name === 'results' });
        const rows = searchAll(
          ctx.redis,
          ctx.parts.all.map(source.stream),
          source,
          plan,
          ctx.config.maxExportRows,
        );
        async function* lines(): AsyncGenerator<string> {
          yield `${source.csvHeader.join(',')}\r\n`;
          // Rows are batched into chunks so a large export is not one write per row.
          let chunk = '';
          for await (const item of rows) {
            chunk += `${source.csvRow(item).map(csvField).join(',')}\r\n`;
            if (chunk.length > 32_768) {
              yield chunk;
              chunk = '';
            }
          }
          if (chunk) yield chunk;
        }
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}-${stamp}.csv"`)
          .send(Readable.from(lines()));
      },
    );
  }
}
