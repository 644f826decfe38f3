import type { FastifyInstance } from 'fastify';
import { asDatabaseError } from '../watchlist/db.ts';
import { readWatchlistCsv } from '../watchlist/csv.ts';
import { parseEntryOrThrow } from '../watchlist/entry.ts';
import type { WatchlistAdmin } from '../watchlist/index.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { listDlq, requeueDlqEntry } from '../worker/dlq.ts';
import { collectStats } from '../worker/stats.ts';
import type { WebContext } from './app.ts';

/** The watchlist as the web service uses it: the admin (writes + cache invalidation) over the store. */
export interface WatchlistAccess {
  admin: WatchlistAdmin;
  /** Redacted database URL, for messages. */
  url: string;
}

const admin = { role: 'admin' as const };
const bearer = [{ bearer: [] }];

function watchlistOf(ctx: WebContext): WatchlistAccess {
  if (!ctx.watchlist) {
    throw new PlatestreamError(
      'DATABASE_UNAVAILABLE',
      'the watchlist is not configured on this web service: set DATABASE_URL (and run "platestream db migrate")',
    );
  }
  return ctx.watchlist;
}

async function db<T>(ctx: WebContext, what: string, fn: (w: WatchlistAccess) => Promise<T>): Promise<T> {
  const w = watchlistOf(ctx);
  try {
    return await fn(w);
  } catch (err) {
    throw asDatabaseError(err, what, w.url);
  }
}

interface EntryBody {
  plate: string;
  label: string;
  expires?: string;
  webhook?: string;
}

/** Watchlist (list: viewer; add, remove, import: admin), stats (viewer), dead letters (admin). */
export function registerAdminRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { prefix?: string; all?: boolean; limit?: number } }>(
    '/v1/watchlist',
    {
      schema: {
        summary: 'Watchlist entries (active ones; all=true adds expired ones)',
        tags: ['watchlist'],
        security: bearer,
        querystring: {
          type: 'object',
          properties: {
            prefix: { type: 'string' },
            all: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
          },
        },
      },
    },
    async (request) =>
      db(ctx, 'listing the watchlist', async (w) => ({
        entries: await w.admin.store.list({
          limit: request.query.limit ?? 1000,
          includeExpired: request.query.all ?? false,
          plate: request.query.prefix ? normalisePlate(request.query.prefix) : undefined,
        }),
      })),
  );

  app.post<{ Body: EntryBody }>(
    '/v1/watchlist',
    {
      config: admin,
      schema: {
        summary: 'Add a plate, or replace the entry of the same plate (admin)',
        tags: ['watchlist'],
        security: bearer,
        body: {
          type: 'object',
          required: ['plate', 'label'],
          properties: {
            plate: { type: 'string' },
            label: { type: 'string' },
            expires: { type: 'string', description: 'ISO 8601 date; empty: never' },
            webhook: { type: 'string', description: 'receiver URL; empty: the notifier default' },
          },
        },
      },
    },
    async (request, reply) => {
      const input = parseEntryOrThrow(request.body);
      const r = await db(ctx, 'adding a watchlist entry', (w) => w.admin.add(input));
      return reply.code(r.created ? 201 : 200).send(r);
    },
  );

  app.delete<{ Params: { plate: string } }>(
    '/v1/watchlist/:plate',
    {
      config: admin,
      schema: {
        summary: 'Remove a plate from the watchlist (admin)',
        tags: ['watchlist'],
        security: bearer,
        params: { type: 'object', required: ['plate'], properties: { plate: { type: 'string' } } },
      },
    },
    async (request) => {
      const plate = normalisePlate(request.params.plate);
      const removed = await db(ctx, 'removing a watchlist entry', (w) => w.admin.remove([plate]));
      if (removed.length === 0) throw new PlatestreamError('NOT_FOUND', `${plate} is not on the watchlist`);
      return { removed: plate };
    },
  );

  app.post<{ Body: string }>(
    '/v1/watchlist/import',
    {
      config: admin,
      schema: {
        summary:
          'Import a CSV (header plate,label[,expires][,webhook]); all rows or none (admin). Body: text/csv',
        tags: ['watchlist'],
        security: bearer,
      },
    },
    async (request) => {
      if (typeof request.body !== 'string') {
        throw new PlatestreamError(
          'UNSUPPORTED_MEDIA_TYPE',
          'send the CSV as the body with Content-Type: text/csv',
        );
      }
      const csv = readWatchlistCsv(request.body);
      if (csv.errors.length) {
        throw new PlatestreamError(
          'WATCHLIST_INVALID',
          `${csv.errors.length} bad row${csv.errors.length > 1 ? 's' : ''}; nothing imported: ${csv.errors.join('; ')}`,
          { details: { errors: csv.errors } },
        );
      }
      return db(ctx, 'importing the watchlist', (w) => w.admin.importAll(csv.entries));
    },
  );

  app.get(
    '/v1/stats',
    {
      schema: {
        summary:
          'Pipeline health: stream lengths, group lag and pending, consumers, frames/s, DLQ size, counters',
        tags: ['pipeline'],
        security: bearer,
      },
    },
    async () => collectStats(ctx.redis, ctx.parts),
  );

  app.get<{ Querystring: { after?: string; limit?: number } }>(
    '/v1/dlq',
    {
      config: admin,
      schema: {
        summary: 'Dead letters, oldest first (admin); image bytes are summarised',
        tags: ['pipeline'],
        security: bearer,
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
      },
    },
    async (request) => {
      const entries = await listDlq(ctx.redis, ctx.parts, {
        count: request.query.limit ?? 50,
        after: request.query.after,
      });
      return { entries: entries.map((e) => ({ id: e.id, fields: e.fields })) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/dlq/:id/requeue',
    {
      config: admin,
      schema: {
        summary: 'Put a dead letter back on the frames stream, atomically (admin)',
        tags: ['pipeline'],
        security: bearer,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      },
    },
    async (request) => {
      const r = await requeueDlqEntry(ctx.redis, ctx.parts, request.params.id);
      if (r.problem === 'not-found')
        throw new PlatestreamError('NOT_FOUND', `dead letter ${r.id} does not exist`);
      if (r.problem === 'missing') {
        throw new PlatestreamError('FRAME_DECODE', `dead letter ${r.id} has no image to requeue`);
      }
      return { id: r.id, frame: r.frameId };
    },
  );
}
