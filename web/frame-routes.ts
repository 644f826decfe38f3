import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { annotateImage } from '../results/annotate.ts';
import { fieldMap } from '../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { isEntryId } from '../shared/redis/stream/index.ts';
import type { WebContext } from './app.ts';
import { SOURCES } from './sources.ts';
import type { ResultItem } from './sources.ts';

/** How many result entries after a frame are searched for its result when no `result` id is given. */
const RESULT_SEARCH_SPAN = 5000;

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'frames stream entry id' } },
} as const;

/** The frame's image bytes and type; NOT_FOUND saying it was trimmed when the entry is gone. */
async function readFrame(ctx: WebContext, id: string): Promise<{ img: Buffer; mime: string }> {
  if (!isEntryId(id))
    throw new PlatestreamError('BAD_REQUEST', `"${id.slice(0, 40)}" is not a frame id (<ms>-<seq>)`);
  const rows = (await ctx.redis.xrangeBuffer(ctx.keys.frames, id, id)) as unknown as [Buffer, Buffer[]][];
  const row = rows[0];
  if (!row) {
    throw new PlatestreamError(
      'NOT_FOUND',
      `frame ${id} is no longer in ${ctx.keys.frames}: frames are trimmed once every group has processed them (keep them longer with LPR_FRAME_RETENTION_MS)`,
    );
  }
  const m = fieldMap(row[1]);
  const img = m.get('img');
  if (!img || img.length === 0) throw new PlatestreamError('NOT_FOUND', `frame ${id} has no image bytes`);
  return { img, mime: m.get('mime')?.toString('utf8') ?? 'application/octet-stream' };
}

/** The result of a frame: the given result id, or the first result after the frame that names it. */
async function resultOf(
  ctx: WebContext,
  frameId: string,
  resultId?: string,
): Promise<ResultItem | undefined> {
  const source = SOURCES.results;
  if (resultId !== undefined) {
    if (!isEntryId(resultId))
      throw new PlatestreamError('BAD_REQUEST', `result "${resultId.slice(0, 40)}" is not a stream id`);
    const rows = (await ctx.redis.xrange(ctx.keys.results, resultId, resultId)) as [string, string[]][];
    const r = rows[0] && (source.decode(rows[0][0], rows[0][1]) as ResultItem | undefined);
    return r && r.frame === frameId ? r : undefined;
  }
  let start = frameId;
  let seen = 0;
  while (seen < RESULT_SEARCH_SPAN) {
    const rows = (await ctx.redis.xrange(ctx.keys.results, start, '+', 'COUNT', 500)) as [string, string[]][];
    for (const [id, fields] of rows) {
      const r = source.decode(id, fields) as ResultItem | undefined;
      if (r?.frame === frameId) return r;
    }
    seen += rows.length;
    if (rows.length < 500) return undefined;
    start = `(${rows[rows.length - 1]![0]}`;
  }
  return undefined;
}

/** GET /v1/frames/:id/image (optionally a crop) and /v1/frames/:id/annotated. */
export function registerFrameRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Params: { id: string }; Querystring: { crop?: string } }>(
    '/v1/frames/:id/image',
    {
      schema: {
        summary: 'The frame as the camera sent it, or a region of it (crop=x,y,w,h, e.g. a plate box)',
        tags: ['frames'],
        security: [{ bearer: [] }],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { crop: { type: 'string', pattern: '^\\d+,\\d+,\\d+,\\d+$' } },
        },
        produces: ['image/jpeg', 'image/png', 'image/webp'],
      },
    },
    async (request, reply) => {
      const frame = await readFrame(ctx, request.params.id);
      reply.header('cache-control', 'private, max-age=3600');
      if (!request.query.crop) return reply.type(frame.mime).send(frame.img);
      const [x, y, w, h] = request.query.crop.split(',').map(Number) as [number, number, number, number];
      const meta = await sharp(frame.img).metadata();
      const left = Math.min(x, Math.max(0, (meta.width ?? 1) - 1));
      const top = Math.min(y, Math.max(0, (meta.height ?? 1) - 1));
      const width = Math.max(1, Math.min(w, (meta.width ?? 1) - left));
      const height = Math.max(1, Math.min(h, (meta.height ?? 1) - top));
      const out = await sharp(frame.img)
        .extract({ left, top, width, height })
        .jpeg({ quality: 85 })
        .toBuffer();
      return reply.type('image/jpeg').send(out);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { result?: string } }>(
    '/v1/frames/:id/annotated',
    {
      schema: {
        summary: "The frame with its result's boxes and plate text drawn (JPEG)",
        tags: ['frames'],
        security: [{ bearer: [] }],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            result: { type: 'string', description: 'result id (found from the frame when absent)' },
          },
        },
        produces: ['image/jpeg'],
      },
    },
    async (request, reply) => {
      const frame = await readFrame(ctx, request.params.id);
      const result = await resultOf(ctx, request.params.id, request.query.result);
      if (!result) {
        throw new PlatestreamError(
          'NOT_FOUND',
          `no result for frame ${request.params.id} yet (not processed, or its result was trimmed); GET /v1/frames/${request.params.id}/image has the frame`,
        );
      }
      const out = await annotateImage(frame.img, result);
      reply.header('cache-control', 'private, max-age=3600');
      return reply.type('image/jpeg').send(out);
    },
  );
}
