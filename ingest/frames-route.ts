import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CAMERA_ID_PATTERN } from '../shared/camera-id.ts';
import { IMAGE_MIME_TYPES, type ImageMime } from '../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';
import type { CameraAuth } from './auth.ts';
import type { IngestConfig } from './config.ts';
import { checkCameraId, type FrameFields, MAX_META_CHARS, parseFrameFields } from './frame-fields.ts';
import { detectImageType, inspectImage } from './image-header.ts';
import type { IngestMetrics } from './metrics.ts';
import type { FrameRouter } from './frame-router.ts';

export const FRAMES_ROUTE = '/v1/cameras/:camera/frames';

export interface FramesRouteDeps {
  config: IngestConfig;
  auth: CameraAuth;
  producer: Pick<FrameRouter, 'add'>;
  metrics: IngestMetrics;
  /** True once shutdown began: new frame requests get 503 SHUTTING_DOWN. */
  isDraining(): boolean;
}

type FramesRequest = FastifyRequest<{ Params: { camera: string }; Querystring: FrameFields }>;

const FIELD_NAMES = new Set(['ts', 'seq', 'meta']);

const schema = {
  summary: 'Push one camera frame',
  description:
    'Send the image either as the raw body (Content-Type image/jpeg, image/png or image/webp) or as ' +
    'multipart/form-data with a file field "image" (its part Content-Type an image type or ' +
    'application/octet-stream) and optional fields ts, seq, meta. ts/seq/meta may also be given as query ' +
    'parameters; form fields win. Answers 202 with the frames-stream entry id.',
  tags: ['frames'],
  security: [{ bearer: [] }],
  params: {
    type: 'object',
    required: ['camera'],
    properties: {
      camera: { type: 'string', pattern: CAMERA_ID_PATTERN, description: 'Camera id.' },
    },
  },
  querystring: {
    type: 'object',
    properties: {
      ts: {
        type: 'string',
        pattern: '^[0-9]{1,16}$',
        description: 'Capture time, ms since the epoch (default: now).',
      },
      seq: { type: 'string', pattern: '^[0-9]{1,16}$', description: 'Frame sequence number.' },
      meta: { type: 'string', maxLength: MAX_META_CHARS, description: 'JSON object stored with the frame.' },
    },
  },
  response: {
    202: {
      description: 'Frame accepted and written to the frames stream.',
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string', description: 'Entry id in the frames stream.' },
        duplicate: {
          type: 'boolean',
          description:
            "Present (true) when this request repeated an Idempotency-Key (or camera + seq + ts) admitted within LPR_IDEMPOTENCY_WINDOW_MS: nothing was written, id is the first request's.",
        },
      },
    },
    default: {
      description:
        'Error: 400 bad field or image mismatch, 401/403 auth, 413 too large, 415 media type, 422 bad image or too many pixels, 503 backpressure / Redis down / shutting down (with Retry-After).',
      type: 'object',
      properties: {
        error: {
          type: 'object',
          properties: { code: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  },
};

export function registerFramesRoute(app: FastifyInstance, deps: FramesRouteDeps): void {
  const { config, auth, producer, metrics } = deps;

  app.post<{ Params: { camera: string }; Querystring: FrameFields }>(
    FRAMES_ROUTE,
    {
      schema,
      bodyLimit: config.bodyLimitBytes,
      // Cheap checks before the body is read: draining, camera id, token. Callback-style: no promise per
      // request on the hot path.
      onRequest: (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
        metrics.requestsInFlight.inc();
        request.raw.once('close', () => metrics.requestsInFlight.dec());
        try {
          if (deps.isDraining()) {
            throw new PlatestreamError(
              'SHUTTING_DOWN',
              'the ingest service is shutting down; retry on another instance or later',
            );
          }
          const camera = (request.params as { camera: string }).camera;
          checkCameraId(camera);
          auth.check(camera, request.headers.authorization);
        } catch (err) {
          done(err as Error);
          return;
        }
        done();
      },
    },
    async (request: FramesRequest, reply: FastifyReply) => {
      const camera = request.params.camera;
      const now = Date.now();
      let img: Buffer;
      let mime: ImageMime;
      let fields: FrameFields = request.query;
      let format: 'raw' | 'multipart';
      if (request.isMultipart()) {
        format = 'multipart';
        const form = await readMultipart(request, camera);
        img = form.img;
        mime = form.mime;
        fields = { ...request.query, ...form.fields };
      } else {
        format = 'raw';
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.length === 0) {
          throw new PlatestreamError(
            'EMPTY_BODY',
            `camera "${camera}": the request has no image bytes; send the image as the body`,
          );
        }
        img = body;
        mime = contentTypeOf(request);
      }
      const parsed = parseFrameFields(fields, now, config.maxTsSkewMs);
      inspectImage(img, mime, config.maxPixels, `camera "${camera}"`);
      const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key'], fields, camera);
      const { id, duplicate } = await producer.add({ camera, mime, img, ...parsed }, { idempotencyKey });
      if (duplicate) {
        metrics.framesDuplicate.inc();
        return reply.code(202).send({ id, duplicate: true });
      }
      metrics.framesAccepted.inc({ format });
      return reply.code(202).send({ id });
    },
  );
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's idempotency key: the Idempotency-Key header, else one derived from the camera's `seq` and
 * `ts` when both are given (a retry repeats both; a camera that restarts its sequence, or a client that
 * numbers frames per run, does not repeat the time). Undefined otherwise (no de-duplication).
 */
function idempotencyKeyOf(
  header: string | string[] | undefined,
  fields: FrameFields,
  camera: string,
): string | undefined {
  if (header !== undefined) {
    const key = Array.isArray(header) ? header[0]! : header;
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `camera "${camera}": header Idempotency-Key "${key.slice(0, 40)}" is invalid; use 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":", "-" (e.g. a UUID)`,
      );
    }
    return `k:${key}`;
  }
  if (fields.seq !== undefined && fields.ts !== undefined) return `s:${fields.seq}:${fields.ts}`;
  return undefined;
}

function contentTypeOf(request: FastifyRequest): ImageMime {
  const ct = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(IMAGE_MIME_TYPES as readonly string[]).includes(ct)) {
    throw new PlatestreamError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type "${ct}" is not an accepted image type`,
    );
  }
  return ct as ImageMime;
}

async function readMultipart(
  request: FastifyRequest,
  camera: string,
): Promise<{ img: Buffer; mime: ImageMime; fields: FrameFields }> {
  let img: Buffer | undefined;
  let mime: ImageMime | undefined;
  const fields: FrameFields = {};
  try {
    for await (const part of request.parts()) {
      const got = await readPart(part, camera, img !== undefined);
      if (got.kind === 'image') {
        img = got.img;
        mime = got.mime;
      } else if (got.kind === 'field') fields[got.name] = got.value;
    }
  } catch (err) {
    throw malformedMultipart(err, camera);
  }
  if (img === undefined || mime === undefined) {
    throw new PlatestreamError(
      'EMPTY_BODY',
      `camera "${camera}": the form has no file field "image"; add the image as field "image"`,
    );
  }
  return { img, mime, fields };
}

/**
 * The multipart parser's own complaints (no boundary, a body that ends inside a part, a broken part header)
 * are the client's fault: 400 MULTIPART_INVALID with the parser's reason, not a 500 with a stack in the log.
 * Our errors and Fastify's coded limit errors (FST_*) pass through unchanged.
 */
function malformedMultipart(err: unknown, camera: string): unknown {
  if (err instanceof PlatestreamError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code.startsWith('FST_') || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') return err;
  const reason = err instanceof Error ? err.message.slice(0, 120) : 'unreadable';
  return new PlatestreamError(
    'MULTIPART_INVALID',
    `camera "${camera}": the multipart/form-data body is malformed (${reason}); send a Content-Type with a boundary parameter and a complete body with the file field "image"`,
    { cause: err },
  );
}

type PartResult =
  | { kind: 'image'; img: Buffer; mime: ImageMime }
  | { kind: 'field'; name: keyof FrameFields; value: string }
  | { kind: 'ignored' };

async function readPart(
  part: MultipartFile | MultipartValue,
  camera: string,
  haveImage: boolean,
): Promise<PartResult> {
  if (part.type === 'file') {
    const file = part as MultipartFile;
    if (file.fieldname !== 'image') {
      await file.toBuffer().catch(() => undefined);
      throw new PlatestreamError(
        'BAD_REQUEST',
        `camera "${camera}": unexpected file field "${file.fieldname.slice(0, 40)}"; send the image in the file field "image"`,
      );
    }
    if (haveImage) {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `camera "${camera}": more than one "image" file; send one image per request`,
      );
    }
    const declared = file.mimetype.split(';')[0]!.trim().toLowerCase();
    const buf = await file.toBuffer();
    let mime: ImageMime | undefined;
    if ((IMAGE_MIME_TYPES as readonly string[]).includes(declared)) {
      mime = declared as ImageMime;
    } else if (declared === 'application/octet-stream' || declared === '') {
      mime = detectImageType(buf);
      if (!mime) {
        throw new PlatestreamError(
          'UNSUPPORTED_MEDIA_TYPE',
          `camera "${camera}": the "image" part is application/octet-stream and its bytes are not JPEG, PNG or WebP`,
        );
      }
    } else {
      throw new PlatestreamError(
        'UNSUPPORTED_MEDIA_TYPE',
        `camera "${camera}": the "image" part has Content-Type "${declared.slice(0, 60)}"; use image/jpeg, image/png or image/webp`,
      );
    }
    return { kind: 'image', img: buf, mime };
  }
  const field = part as MultipartValue;
  if (FIELD_NAMES.has(field.fieldname)) {
    return { kind: 'field', name: field.fieldname as keyof FrameFields, value: String(field.value) };
  }
  // Other fields (many cameras add their own) are ignored.
  return { kind: 'ignored' };
}
