import { PlatestreamError } from '../shared/errors.ts';
import { type FastifyLikeError, fallbackError, validationFailure } from '../shared/http/fastify-errors.ts';

/**
 * Maps anything thrown while answering an API request to a PlatestreamError (the body is the same
 * `{"error":{"code","message"}}` as ingest's): ours pass through, schema validation names the parameter,
 * other 4xx keep their status, the rest is INTERNAL.
 */
export function toWebError(raw: unknown): PlatestreamError {
  if (raw instanceof PlatestreamError) return raw;
  const err = (raw ?? {}) as FastifyLikeError;
  if (err.code === 'FST_ERR_VALIDATION') {
    const v = validationFailure(err);
    return new PlatestreamError('BAD_REQUEST', `${v.where} "${v.field}" ${v.problem}`, { cause: raw });
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
  return fallbackError(raw, err, 'web service');
}
