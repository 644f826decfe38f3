import type { EnvReader } from '../shared/config/env-reader.ts';

/** How alerts are written: the de-duplication window and the stream's length cap. Read once per process. */
export interface AlertOptions {
  /** One alert per camera and watchlist plate within this window (ms; ALERT_WINDOW_MS). */
  windowMs: number;
  /** Approximate MAXLEN of the alerts stream (ALERTS_MAXLEN); the notifier acknowledges what it handed on. */
  maxLen: number;
}

export const ALERT_DEFAULTS: Readonly<AlertOptions> = Object.freeze({ windowMs: 60_000, maxLen: 100_000 });

/** Reads ALERT_WINDOW_MS and ALERTS_MAXLEN (problems go to the reader; the caller finishes it). */
export function readAlertConfig(r: EnvReader): AlertOptions {
  const d = ALERT_DEFAULTS;
  return {
    windowMs: r.int('ALERT_WINDOW_MS', d.windowMs, { min: 1, max: 24 * 3600_000 }),
    maxLen: r.int('ALERTS_MAXLEN', d.maxLen, { min: 100, max: 100_000_000 }),
  };
}
