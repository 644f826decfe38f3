import { CAMERA_ID_HINT } from '../shared/camera-id.ts';
import { ERROR_CODES, type ErrorCode, PlatestreamError } from '../shared/errors.ts';

/** The JSON error body every ingest answer uses. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(err: PlatestreamError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}

/** What to fix for each query parameter / form field, used in validation messages. */
const FIELD_HINTS: Record<string, string> = {
  ts: 'the capture time in milliseconds since the epoch, as an integer (e.g. ts=1700000000000)',
  seq: 'the frame sequence number, a non-negative integer',
  meta: 'a JSON object of at most 4096 characters, URL-encoded',
  camera: `a camera id of ${CAMERA_ID_HINT}`,
};

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

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
      const first = err.validation?.[0];
      const field =
        (first?.params?.missingProperty as string | undefined) ??
        first?.instancePath?.replace(/^\//, '') ??
        '';
      if (err.validationContext === 'params' && field === 'camera') {
        return new PlatestreamError('BAD_CAMERA_ID', `camera id is invalid; expected ${FIELD_HINTS.camera}`, {
          cause: raw,
        });
      }
      const where =
        err.validationContext === 'querystring' ? 'query parameter' : (err.validationContext ?? 'value');
      const hint = FIELD_HINTS[field];
      return new PlatestreamError(
        'BAD_REQUEST',
        `${where} "${field}" ${first?.message ?? 'is invalid'}${hint ? `; expected ${hint}` : ''}`,
        { cause: raw },
      );
    }
  }
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') {
    return new PlatestreamError('BAD_REQUEST', 'the request body ended early', { cause: raw });
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const known = (Object.keys(ERROR_CODES) as ErrorCode[]).find(
      (c) => ERROR_CODES[c].status === status && c !== 'BAD_REQUEST',
    );
    return new PlatestreamError(
      status === 400 || !known ? 'BAD_REQUEST' : known,
      err.message ?? 'bad request',
      {
        cause: raw,
      },
    );
  }
  return new PlatestreamError('INTERNAL', 'an unexpected error occurred; the ingest log has details', {
    cause: raw,
  });
}

/** Header and body helpers for frame-field parsing, shared by the raw and multipart paths. */
export function badField(field: string, value: string, what: string): PlatestreamError {
  const hint = FIELD_HINTS[field];
  return new PlatestreamError(
    'BAD_REQUEST',
    `"${field}" ${what} (got "${value.slice(0, 40)}")${hint ? `; expected ${hint}` : ''}`,
  );
}
