import { ERROR_CODES, type ErrorCode, PlatestreamError } from '../errors.ts';

/**
 * What the HTTP services (ingest, web) share about errors: the `{"error":{"code","message"}}` body, the
 * shape of Fastify's own errors, schema-validation messages that name the parameter, and the fallback that
 * keeps a 4xx's status and turns anything else into INTERNAL. Each service maps its own special cases first.
 */

/** The JSON error body every answer uses. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(err: PlatestreamError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}

/** The fields of Fastify's (and its plugins') errors that the mapping reads. */
export interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/** A schema-validation failure: which parameter, where (query parameter, body, params) and what is wrong. */
export function validationFailure(err: FastifyLikeError): { field: string; where: string; problem: string } {
  const first = err.validation?.[0];
  const field =
    (first?.params?.missingProperty as string | undefined) ?? first?.instancePath?.replace(/^\//, '') ?? '';
  const where =
    err.validationContext === 'querystring' ? 'query parameter' : (err.validationContext ?? 'value');
  return { field, where, problem: first?.message ?? 'is invalid' };
}

/**
 * The last step of a service's mapping: another 4xx keeps its status (as the catalogue code with that
 * status, else BAD_REQUEST); anything else is INTERNAL with a message pointing at `service`'s log.
 */
export function fallbackError(raw: unknown, err: FastifyLikeError, service: string): PlatestreamError {
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
  return new PlatestreamError('INTERNAL', `an unexpected error occurred; the ${service} log has details`, {
    cause: raw,
  });
}
