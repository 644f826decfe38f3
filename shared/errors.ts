/**
 * One base error for the whole project. Every error carries a typed `code` from the
 * catalogue below; messages name the frame, camera or option involved and say what to do.
 */

/** Catalogue of error codes. Each entry documents when it is raised and the HTTP status it maps to. */
export const ERROR_CODES = {
  CONFIG_INVALID: {
    status: 500,
    doc: 'One or more environment variables or options are invalid; the message lists all of them.',
  },
  USAGE: {
    status: 400,
    doc: 'A command was called with wrong arguments or options; it says which and exits 2.',
  },
  REDIS_UNAVAILABLE: {
    status: 503,
    doc: 'Redis did not answer in time or the connection is down; retry later.',
  },
  BACKPRESSURE: {
    status: 503,
    doc: 'Consumers are behind (backlog or memory budget exceeded) and the policy is reject.',
  },
  SHUTTING_DOWN: { status: 503, doc: 'The process is shutting down and no longer accepts work.' },
  UNAUTHORIZED: { status: 401, doc: 'No bearer token, or a token that is not known.' },
  FORBIDDEN: { status: 403, doc: 'The token is valid but not allowed for this camera.' },
  BAD_CAMERA_ID: { status: 400, doc: 'The camera id does not match the allowed format.' },
  BAD_REQUEST: { status: 400, doc: 'A header, query parameter or form field is malformed.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'The declared content type is not an accepted image type.' },
  PAYLOAD_TOO_LARGE: { status: 413, doc: 'The body is larger than the configured limit.' },
  IMAGE_MISMATCH: {
    status: 400,
    doc: 'The bytes do not start with the magic number of the declared image type.',
  },
  IMAGE_INVALID: { status: 422, doc: 'The image header cannot be read or its dimensions are invalid.' },
  IMAGE_TOO_MANY_PIXELS: {
    status: 422,
    doc: 'The image has more pixels than allowed (decompression bomb guard).',
  },
  TS_OUT_OF_RANGE: {
    status: 400,
    doc: 'The capture time ts lies further from the server clock than LPR_TS_MAX_SKEW_MS allows.',
  },
  MULTIPART_INVALID: {
    status: 400,
    doc: 'A multipart/form-data body is malformed (no boundary, truncated, broken part header).',
  },
  EMPTY_BODY: { status: 400, doc: 'The request has no image bytes.' },
  NOT_FOUND: { status: 404, doc: 'The route or resource does not exist.' },
  FRAME_DECODE: { status: 422, doc: 'A stream entry is missing fields or has fields of the wrong type.' },
  SCRIPT_FAILED: { status: 500, doc: 'A Lua script returned an unexpected result.' },
  MODEL_INVALID: { status: 500, doc: 'A model file is missing, has the wrong checksum or the wrong shapes.' },
  RECOGNITION_FAILED: {
    status: 500,
    doc: 'The recogniser failed on a frame (transient; the frame is retried).',
  },
  TIMEOUT: { status: 504, doc: 'An operation did not finish within its deadline.' },
  LOCK_LOST: { status: 500, doc: 'A lease lock expired or was taken by another process.' },
  DATABASE_UNAVAILABLE: { status: 503, doc: 'PostgreSQL did not answer in time.' },
  DATABASE_ACCESS: {
    status: 503,
    doc: 'PostgreSQL refused DATABASE_URL: the role or database does not exist or the password is wrong; the message gives the SQL that creates them.',
  },
  REDIS_REPLY: {
    status: 500,
    doc: 'Redis refused a command (an error reply such as ERR or WRONGTYPE); the message names the command and the reply.',
  },
  DATABASE_NOT_MIGRATED: {
    status: 503,
    doc: 'The PostgreSQL schema is older than this release; run "platestream db migrate".',
  },
  WATCHLIST_INVALID: {
    status: 400,
    doc: 'A watchlist entry or CSV row is invalid; the message names the line and field.',
  },
  WEBHOOK_FAILED: {
    status: 502,
    doc: 'A webhook receiver refused an alert or could not be reached (the job is retried).',
  },
  ADDRESS_IN_USE: {
    status: 500,
    doc: 'A listener port is held by another process (a second worker on one host); set another port or WORKER_HTTP_PORT=auto.',
  },
  CAPTURE_SOURCE_FAILED: {
    status: 502,
    doc: 'A capture camera failed, stalled or could not be reached; it is restarted with backoff (logged once per kind of failure).',
  },
  CAPTURE_AUTH_FAILED: {
    status: 502,
    doc: 'A capture camera refused the credentials (401); logged once, retried every auth_retry_ms.',
  },
  REPLICA_WAIT_TIMEOUT: {
    status: 503,
    doc: 'LPR_WAIT_REPLICAS is on and fewer replicas than asked confirmed the frame within LPR_WAIT_TIMEOUT_MS (or its master changed meanwhile); it may be lost if the master fails now: retry with the same Idempotency-Key.',
  },
  PARTITIONS_MISMATCH: {
    status: 500,
    doc: 'LPR_PARTITIONS differs from the partition count the data was written with; start with that count or run "platestream partitions migrate --to P" (docs/partitions.md).',
  },
  INTERNAL: { status: 500, doc: 'An unexpected error; the log has details.' },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PlatestreamError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PlatestreamError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = opts.details ? Object.freeze({ ...opts.details }) : undefined;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isPlatestreamError(err: unknown, code?: ErrorCode): err is PlatestreamError {
  return err instanceof PlatestreamError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a PlatestreamError, keeping the original as `cause`. */
export function toPlatestreamError(err: unknown, fallback: ErrorCode = 'INTERNAL'): PlatestreamError {
  if (err instanceof PlatestreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PlatestreamError(fallback, message, { cause: err });
}
