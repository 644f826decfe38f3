import type { RedisClient } from '../shared/redis/connection.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { type AlertPayload, alertScriptArgs } from '../alerts/index.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { runScript } from '../shared/redis/scripts.ts';

export type RetentionArgs = { strategy: 'MAXLEN' | 'MINID'; threshold: string };

export interface CompleteOutcome {
  /** false: the frame had already been acknowledged elsewhere (stale completion); nothing was written. */
  acked: boolean;
  resultId: string;
  alert: 'none' | 'sent' | 'suppressed';
  alertId: string;
}

/** One frame's completion: acknowledge it in `group` and write its result (and an optional alert). */
export interface CompleteRequest {
  keys: StreamKeys;
  group: string;
  frameId: string;
  /** Flat field/value list (`encodeResult` from shared/codec/result-codec.ts). */
  result: readonly string[];
  retention: RetentionArgs;
  /** Written in the same script, subject to its window (see alerts/alert-write.ts). */
  alert?: AlertPayload;
}

/**
 * Builds the complete-5.lua KEYS and ARGV. Layout (see the script header):
 * ARGV = [group, frameId, strategy, threshold, n, ...n result pairs, ...alertScriptArgs]
 */
export function completeArgs(req: CompleteRequest): { keys: string[]; args: string[] } {
  const { keys, result, retention } = req;
  if (result.length % 2 !== 0)
    throw new Error(`result fields for frame ${req.frameId} are not field/value pairs`);
  const alert = alertScriptArgs(keys, req.alert);
  return {
    keys: [keys.frames, keys.results, keys.counters, keys.alerts, alert.windowKey],
    args: [
      req.group,
      req.frameId,
      retention.strategy,
      retention.threshold,
      String(result.length / 2),
      ...result,
      ...alert.args,
    ],
  };
}

/** XACK + (only if acknowledged) XADD result [+ alert], atomically. */
export async function completeFrame(redis: RedisClient, req: CompleteRequest): Promise<CompleteOutcome> {
  const call = completeArgs(req);
  const reply = await runScript<[number, string, string, string]>(redis, 'complete', call.keys, call.args);
  if (!Array.isArray(reply) || reply.length !== 4) {
    throw new PlatestreamError(
      'SCRIPT_FAILED',
      `complete script returned ${JSON.stringify(reply)} for frame ${req.frameId}`,
    );
  }
  return {
    acked: Number(reply[0]) === 1,
    resultId: String(reply[1]),
    alert: reply[2] as CompleteOutcome['alert'],
    alertId: String(reply[3]),
  };
}

export interface DeadLetterRequest {
  frameId: string;
  error: string;
  stage: string;
  deliveries: number;
  worker: string;
  /** Approximate cap of the DLQ stream (DLQ_MAXLEN). */
  dlqMaxLen: number;
  /** Byte cap of the DLQ stream (DLQ_MAX_BYTES, MEMORY USAGE); 0 = none. */
  dlqMaxBytes?: number;
}

/** XACK + (only if acknowledged) XADD to the DLQ with the frame's fields + error, stage, deliveries. */
export async function deadLetter(
  redis: RedisClient,
  keys: StreamKeys,
  group: string,
  req: DeadLetterRequest,
): Promise<{ acked: boolean; dlqId: string }> {
  const reply = await runScript<[number, string]>(
    redis,
    'deadLetter',
    [keys.frames, keys.dlq, keys.counters],
    [
      group,
      req.frameId,
      req.error.slice(0, 2000),
      req.stage,
      String(req.deliveries),
      req.worker,
      String(req.dlqMaxLen),
      String(req.dlqMaxBytes ?? 0),
    ],
  );
  if (!Array.isArray(reply)) {
    throw new PlatestreamError(
      'SCRIPT_FAILED',
      `deadLetter script returned ${JSON.stringify(reply)} for frame ${req.frameId}`,
    );
  }
  return { acked: Number(reply[0]) === 1, dlqId: String(reply[1]) };
}
