import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { annotateImage } from '../results/annotate.ts';
import { fieldMap } from '../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { parsePartitionedId } from '../shared/redis/stream/merged.ts';
import type { WebContext } from './app.ts';
import { SOURCES } from './sources.ts';
import type { ResultItem } from './sources.ts';

/** How many result entries after a frame are searched for its result when no `result` id is given. */
const RESULT_SEARCH_SPAN = 5000;

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      description: 'frames stream entry id (`<id>@<partition>` with LPR_PARTITIONS > 1)',
    },
  },
} as const;

/**
 * The partitions an id may live in: `<id>@<p>` names one; a plain id is looked for in every partition
 * (with LPR_PARTITIONS=1 that is the one stream).
 */
function candidates(ctx: WebContext, text: string, what: string): { id: string; ps: number[] } {
  const pid = parsePartitionedId(text);
  if (!pid || (pid.partition !== undefined && pid.partition >= ctx.parts.count))
    throw new PlatestreamError(
      'BAD_REQUEST',
      `"${text.slice(0, 40)}" is not a ${what} id (<ms>-<seq>${ctx.parts.count > 1 ? `, or <ms>-<seq>@<partition 0-${ctx.parts.count - 1}>` : ''})`,
    );
  return { id: pid.id, ps: pid.partition !== undefined ? [pid.partition] : ctx.parts.all.map((_, p) => p) };
}

/** The frame's image bytes, type and partition; NOT_FOUND saying it was trimmed when the entry is gone. */
async function readFrame(ctx: WebContext, text: string): Promise<{ img: Buffer; mime: string; p: number }> {
  const { id, ps } = candidates(ctx, text, 'frame');
  for (const p of ps) {
    const stream = ctx.parts.all[p]!.frames;
    const rows = (await ctx.redis.xrangeBuffer(stream, id, id)) as unknown as [Buffer, Buffer[]][];
    const row = rows[0];
    if (!row) continue;
    const m = fieldMap(row[1]);
    const img = m.get('img');
    if (!img || img.length === 0) throw new PlatestreamError('NOT_FOUND', `frame ${text} has no image bytes`);
    return { img, mime: m.get('mime')?.toString('utf8') ?? 'application/octet-stream', p };
  }
  throw new PlatestreamError(
    'NOT_FOUND',
    `frame ${text} is no longer in ${ps.map((p) => ctx.parts.all[p]!.frames).join(', ')}: frames are trimmed once every group has processed them (keep them longer with LPR_FRAME_RETENTION_MS)`,
  );
}

/** The result of a frame: the given result id, or the first result after the frame that names it. */
async function resultOf(
  ctx: WebContext,
  frameText: string,
  p: number,
  resultId?: string,
): Promise<ResultItem | undefined> {
  const source = SOURCES.results;
  // A frame's result is in the frame's partition (same camera).
  const results = ctx.parts.all[p]!.results;
  const frameId = parsePartitionedId(frameText)!.id;
  if (resultId !== undefined) {
    const rid = parsePartitionedId(resultId);
    if (!rid || (rid.partition !== undefined && rid.partition !== p))
      throw new PlatestreamError(
        'BAD_REQUEST',
        `result "${resultId.slice(0, 40)}" is not a result id of this frame's partition`,
      );
    const rows = (await ctx.redis.xrange(results, rid.id, rid.id)) as [string, string[]][];
    const r = rows[0] && (source.decode(rows[0][0], rows[0][1]) as ResultItem | undefined);
    return r && r.frame === frameId ? r : undefined;
  }
  let start = frameId;
  let seen = 0;
  while (seen < RESULT_SEARCH_SPAN) {
    const rows = (await ctx.redis.xrange(results, start, '+', 'COUNT', 500)) as [string, string[]][];
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
      const result = await resultOf(ctx, request.params.id, frame.p, request.query.result);
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
