import { ERROR_CODES, type ErrorCode, PlatestreamError } from '../shared/errors.ts';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/**
 * Maps anything thrown while answering an API request to a PlatestreamError (the body is the same
 * `{"error":{"code","message"}}` as ingest's): ours pass through, schema validation names the parameter,
 * other 4xx keep their status, the rest is INTERNAL.
 */
export function toWebError(raw: unknown): PlatestreamError {
  if (raw instanceof PlatestreamError) return raw;
  const err = (raw ?? {}) as FastifyLikeError;
  if (err.code === 'FST_ERR_VALIDATION') {
    const first = err.validation?.[0];
    const field =
      (first?.params?.missingProperty as string | undefined) ?? first?.instancePath?.replace(/^\//, '') ?? '';
    const where =
      err.validationContext === 'querystring' ? 'query parameter' : (err.validationContext ?? 'value');
    return new PlatestreamError('BAD_REQUEST', `${where} "${field}" ${first?.message ?? 'is invalid'}`, {
      cause: raw,
    });
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new PlatestreamError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the Content-Type is not accepted; send application/json (or text/csv for an import)',
      { cause: raw },
    );
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new PlatestreamError('PAYLOAD_TOO_LARGE', 'the request body is larger than 10 MB', { cause: raw });
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
  return new PlatestreamError('INTERNAL', 'an unexpected error occurred; the web service log has details', {
    cause: raw,
  });
}
