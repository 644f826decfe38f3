import type { EnvReader } from '../shared/config/env-reader.ts';

/** How alerts are written: the de-duplication window and the stream's length cap. Read once per process. */
export interface AlertOptions {
  /** One alert per camera and watchlist plate within this window (ms; ALERT_WINDOW_MS). */
  windowMs: number;
  /** Approximate MAXLEN of the alerts stream (ALERTS_MAXLEN); the notifier acknowledges what it handed on. */
  maxLen: number;
  /**
   * Who writes watchlist alerts (LPR_ALERT_SOURCE): `events` (default), one per vehicle pass on the voted
   * plate, written by the events stage; or `frames`, one per camera and plate per window, written by the
   * worker with each result (for deployments without an events stage).
   */
  source: AlertSource;
}

export type AlertSource = 'events' | 'frames';

export const ALERT_DEFAULTS: Readonly<AlertOptions> = Object.freeze({
  windowMs: 60_000,
  maxLen: 100_000,
  source: 'events',
});

/** Reads ALERT_WINDOW_MS, ALERTS_MAXLEN and LPR_ALERT_SOURCE (problems go to the reader; the caller finishes it). */
export function readAlertConfig(r: EnvReader): AlertOptions {
  const d = ALERT_DEFAULTS;
  return {
    windowMs: r.int('ALERT_WINDOW_MS', d.windowMs, { min: 1, max: 24 * 3600_000 }),
    maxLen: r.int('ALERTS_MAXLEN', d.maxLen, { min: 100, max: 100_000_000 }),
    source: r.oneOf('LPR_ALERT_SOURCE', d.source, ['events', 'frames'] as const),
  };
}
