import type { StreamKeys } from '../shared/redis/keys.ts';
import type { AlertOptions } from './alert-config.ts';
import type { AlertFields } from './alert-codec.ts';

/**
 * The one place that decides how an alert is written. A stage that writes alerts (today the worker's
 * complete-5.lua, in the same script as the result and the ack) passes `alertScriptArgs(...)` to its Lua
 * script, which does `SET <windowKey> <entry id> NX PX <windowMs>` and, only when that SET succeeded,
 * `XADD <alerts> MAXLEN ~ <maxLen> * <fields...>`: one alert per camera and watchlist plate per window,
 * never an alert without its source record.
 *
 * API: `AlertPayload`, `alertToWrite(fields, options)` (a watchlist alert → payload),
 * `alertWindowKey(keys, camera, plate)`, `alertScriptArgs(keys, alert)` → { windowKey, args }.
 */

/** An alert to write atomically with whatever the script records (subject to its de-duplication window). */
export interface AlertPayload {
  /** De-duplication is per camera and plate (the watchlist plate, so fuzzy misreads share the window). */
  camera: string;
  plate: string;
  /** De-duplication window in ms (> 0; 0 writes no alert). */
  windowMs: number;
  /** Approximate MAXLEN of the alerts stream. */
  maxLen: number;
  /** Fields of the alerts stream entry. */
  fields: Record<string, string>;
}

/** The payload for a watchlist alert under the configured window and cap. */
export function alertToWrite(fields: AlertFields, options: AlertOptions): AlertPayload {
  return {
    camera: fields.camera,
    plate: fields.watchPlate,
    windowMs: options.windowMs,
    maxLen: options.maxLen,
    fields: { ...fields },
  };
}

/** The de-duplication marker of one camera and plate. */
export function alertWindowKey(keys: StreamKeys, camera: string, plate: string): string {
  return keys.alertWindow(camera, plate);
}

/**
 * The alert part of a script call: the window key (KEYS) and the ARGV tail
 * `[windowMs, maxLen, field, value, ...]`, or `['0']` and the alerts stream as a same-slot placeholder key
 * when there is no alert.
 */
export function alertScriptArgs(
  keys: StreamKeys,
  alert: AlertPayload | undefined,
): { windowKey: string; args: string[] } {
  if (!alert || alert.windowMs <= 0) return { windowKey: keys.alerts, args: ['0'] };
  const args = [String(Math.trunc(alert.windowMs)), String(alert.maxLen)];
  for (const [k, v] of Object.entries(alert.fields)) args.push(k, v);
  return { windowKey: alertWindowKey(keys, alert.camera, alert.plate), args };
}
