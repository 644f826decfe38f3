/**
 * Typed checks of Redis error replies by their code, the first word of the reply ("BUSYGROUP Consumer
 * Group name already exists" has code BUSYGROUP). Never match the rest of the message: its wording changes
 * between Redis versions.
 *
 * API: `redisErrorCode(err)` → the code of a reply error or undefined (connection errors, timeouts and
 * anything else are not reply errors), `isRedisError(err, ...codes)`, the shorthands `isBusyGroup`,
 * `isNoGroup`, `isNoScript`, and `isServerRefusal(err)` for replies that mean "the server refuses
 * writes for now, retry later" (OOM, READONLY, MISCONF, BUSY, LOADING, TRYAGAIN, CLUSTERDOWN,
 * MASTERDOWN, NOREPLICAS).
 */

/** Codes this project reacts to. Other codes (ERR, WRONGTYPE, NOPERM, ...) are still returned by redisErrorCode. */
export const REDIS_ERROR = {
  /** XGROUP CREATE of a group that exists. */
  BUSYGROUP: 'BUSYGROUP',
  /** XREADGROUP/XACK/XAUTOCLAIM on a missing group or stream. */
  NOGROUP: 'NOGROUP',
  /** maxmemory reached with noeviction: writes refused. */
  OOM: 'OOM',
  /** Connected to a replica: writes refused. */
  READONLY: 'READONLY',
  /** EVALSHA of a script the server does not have (ioredis falls back to EVAL by itself). */
  NOSCRIPT: 'NOSCRIPT',
  /** A script or function runs too long: the server answers only SCRIPT KILL / FUNCTION KILL. */
  BUSY: 'BUSY',
  /** RDB snapshots fail and stop-writes-on-bgsave-error is on: writes refused. */
  MISCONF: 'MISCONF',
  /** The server is loading its dataset after a restart. */
  LOADING: 'LOADING',
  /** Cluster: keys of a multi-key command are being resharded. */
  TRYAGAIN: 'TRYAGAIN',
  /** Cluster: the cluster is down. */
  CLUSTERDOWN: 'CLUSTERDOWN',
  /** Replica whose master link is down (replica-serve-stale-data no). */
  MASTERDOWN: 'MASTERDOWN',
  /** min-replicas-to-write not met: writes refused. */
  NOREPLICAS: 'NOREPLICAS',
} as const;

export type KnownRedisErrorCode = keyof typeof REDIS_ERROR;

const SERVER_REFUSALS: ReadonlySet<string> = new Set([
  REDIS_ERROR.OOM,
  REDIS_ERROR.READONLY,
  REDIS_ERROR.MISCONF,
  REDIS_ERROR.BUSY,
  REDIS_ERROR.LOADING,
  REDIS_ERROR.TRYAGAIN,
  REDIS_ERROR.CLUSTERDOWN,
  REDIS_ERROR.MASTERDOWN,
  REDIS_ERROR.NOREPLICAS,
]);

const CODE_RE = /^([A-Z][A-Z0-9_]*)(?:\s|$)/;

/**
 * The code of a Redis error reply (ioredis `ReplyError`, also when it comes back from a script, a pipeline
 * or MULTI), else undefined.
 */
export function redisErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== 'ReplyError') return undefined;
  return CODE_RE.exec(err.message)?.[1];
}

/** True when `err` is a Redis error reply with one of `codes`. */
export function isRedisError(err: unknown, ...codes: string[]): boolean {
  const code = redisErrorCode(err);
  return code !== undefined && codes.includes(code);
}

export const isBusyGroup = (err: unknown): boolean => isRedisError(err, REDIS_ERROR.BUSYGROUP);
export const isNoGroup = (err: unknown): boolean => isRedisError(err, REDIS_ERROR.NOGROUP);
export const isNoScript = (err: unknown): boolean => isRedisError(err, REDIS_ERROR.NOSCRIPT);

/** A reply by which the server refuses (writes) for now; the same command may succeed later. */
export function isServerRefusal(err: unknown): boolean {
  const code = redisErrorCode(err);
  return code !== undefined && SERVER_REFUSALS.has(code);
}
