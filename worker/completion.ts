import type { Redis } from 'ioredis';
import { PlatestreamError } from '../shared/errors.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { runScript } from '../shared/redis/scripts.ts';

/**
 * An optional watchlist alert written by the completion script in the same transaction as the result.
 * The script sets the window key `StreamKeys.alertWindow(camera, plate)` with NX PX windowMs and writes the
 * alert only when that key was not set yet (one alert per camera and plate per window).
 */
export interface AlertPayload {
  camera: string;
  plate: string;
  /** De-duplication window in ms (> 0). */
  windowMs: number;
  /** Fields of the alerts stream entry (e.g. plate, camera, ts, frame, list, note). */
  fields: Record<string, string>;
}

export type RetentionArgs = { strategy: 'MAXLEN' | 'MINID'; threshold: string };

export interface CompleteOutcome {
  /** false: the frame had already been acknowledged elsewhere (stale completion); nothing was written. */
  acked: boolean;
  resultId: string;
  alert: 'none' | 'sent' | 'suppressed';
  alertId: string;
}

/**
 * Builds the complete-5.lua KEYS and ARGV. Layout (see the script header):
 * ARGV = [group, frameId, strategy, threshold, n, ...n result pairs, alertWindowMs|'0', alertsMaxLen, ...alert pairs]
 */
export function completeArgs(
  keys: StreamKeys,
  group: string,
  frameId: string,
  result: readonly string[],
  retention: RetentionArgs,
  alert: AlertPayload | undefined,
  alertsMaxLen: number,
): { keys: string[]; args: string[] } {
  if (result.length % 2 !== 0)
    throw new Error(`result fields for frame ${frameId} are not field/value pairs`);
  const args: string[] = [
    group,
    frameId,
    retention.strategy,
    retention.threshold,
    String(result.length / 2),
    ...result,
  ];
  if (alert && alert.windowMs > 0) {
    args.push(String(Math.trunc(alert.windowMs)), String(alertsMaxLen));
    for (const [k, v] of Object.entries(alert.fields)) args.push(k, v);
  } else {
    args.push('0');
  }
  const windowKey = alert && alert.windowMs > 0 ? keys.alertWindow(alert.camera, alert.plate) : keys.alerts;
  return { keys: [keys.frames, keys.results, keys.counters, keys.alerts, windowKey], args };
}

/** XACK + (only if acknowledged) XADD result [+ alert], atomically. `result` is a flat field/value list
 * (`encodeResult` from shared/codec/result-codec.ts). */
export async function completeFrame(
  redis: Redis,
  keys: StreamKeys,
  group: string,
  frameId: string,
  result: readonly string[],
  retention: RetentionArgs,
  alert?: AlertPayload,
  alertsMaxLen = 100_000,
): Promise<CompleteOutcome> {
  const call = completeArgs(keys, group, frameId, result, retention, alert, alertsMaxLen);
  const reply = await runScript<[number, string, string, string]>(redis, 'complete', call.keys, call.args);
  if (!Array.isArray(reply) || reply.length !== 4) {
    throw new PlatestreamError(
      'SCRIPT_FAILED',
      `complete script returned ${JSON.stringify(reply)} for frame ${frameId}`,
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
}

/** XACK + (only if acknowledged) XADD to the DLQ with the frame's fields + error, stage, deliveries. */
export async function deadLetter(
  redis: Redis,
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
