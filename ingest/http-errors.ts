import { CAMERA_ID_HINT } from '../shared/camera-id.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { type FastifyLikeError, fallbackError, validationFailure } from '../shared/http/fastify-errors.ts';

/** What to fix for each query parameter / form field, used in validation messages. */
const FIELD_HINTS: Record<string, string> = {
  ts: 'the capture time in milliseconds since the epoch, as an integer (e.g. ts=1700000000000)',
  seq: 'the frame sequence number, a non-negative integer',
  meta: 'a JSON object of at most 4096 characters, URL-encoded',
  camera: `a camera id of ${CAMERA_ID_HINT}`,
};

/**
 * Maps anything thrown while handling a request (our errors, Fastify's own errors for body size, media
 * type and schema validation, @fastify/multipart's limits) to a PlatestreamError with a message that says
 * what to fix.
 */
export function toHttpError(raw: unknown, opts: { bodyLimitBytes: number }): PlatestreamError {
  if (raw instanceof PlatestreamError) return raw;
  const err = (raw ?? {}) as FastifyLikeError;
  const code = err.code ?? '';
  const limit = `${opts.bodyLimitBytes} bytes (LPR_INGEST_BODY_LIMIT)`;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PlatestreamError(
        'PAYLOAD_TOO_LARGE',
        `the image is larger than the limit of ${limit}; send a smaller image`,
        {
          cause: raw,
        },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new PlatestreamError(
        'UNSUPPORTED_MEDIA_TYPE',
        'the Content-Type is not accepted; send the image as image/jpeg, image/png or image/webp, or as multipart/form-data with a file field "image"',
        { cause: raw },
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new PlatestreamError('BAD_REQUEST', 'the Content-Length header does not match the body', {
        cause: raw,
      });
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new PlatestreamError(
        'BAD_REQUEST',
        'the multipart form has too many parts; send one file field "image" and at most the fields ts, seq and meta',
        { cause: raw },
      );
    case 'FST_PROTO_VIOLATION':
      return new PlatestreamError('BAD_REQUEST', 'a multipart field name is not allowed', { cause: raw });
    case 'FST_ERR_VALIDATION': {
      const v = validationFailure(err);
      if (err.validationContext === 'params' && v.field === 'camera') {
        return new PlatestreamError('BAD_CAMERA_ID', `camera id is invalid; expected ${FIELD_HINTS.camera}`, {
          cause: raw,
        });
      }
      const hint = FIELD_HINTS[v.field];
      return new PlatestreamError(
        'BAD_REQUEST',
        `${v.where} "${v.field}" ${v.problem}${hint ? `; expected ${hint}` : ''}`,
        { cause: raw },
      );
    }
  }
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') {
    return new PlatestreamError('BAD_REQUEST', 'the request body ended early', { cause: raw });
  }
  return fallbackError(raw, err, 'ingest');
}

/** Header and body helpers for frame-field parsing, shared by the raw and multipart paths. */
export function badField(field: string, value: string, what: string): PlatestreamError {
  const hint = FIELD_HINTS[field];
  return new PlatestreamError(
    'BAD_REQUEST',
    `"${field}" ${what} (got "${value.slice(0, 40)}")${hint ? `; expected ${hint}` : ''}`,
  );
}
