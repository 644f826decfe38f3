import { userInfo } from 'node:os';
import { NOTIFIER_DEFAULTS, readWebhookJobRetention } from '../alerts/notifier-config.ts';
import type { EnvReader } from '../shared/config/env-reader.ts';

const DAY = 24 * 3600_000;

/**
 * The retention settings of every kind of data that can hold a plate, an image or a read, as the
 * components that enforce them read them (same variables, same defaults), plus the privacy helper's own:
 * the age limits of the DLQ, alerts and events streams (enforced by the worker's housekeeping) and of the
 * audit trail.
 */
export interface RetentionSettings {
  /** RESULTS_RETENTION: `maxlen` caps the results by count only; `minid` by age (RESULTS_RETENTION_MS). */
  resultRetention: 'maxlen' | 'minid';
  resultsMaxLen: number;
  resultsRetentionMs: number;
  /** LPR_FRAME_RETENTION_MS: acknowledged frames are kept this long (0 = trimmed once acknowledged). */
  frameRetentionMs: number;
  /** LPR_PLATE_INDEX_RETENTION_MS: per-plate sighting index (0 = no index). */
  plateIndexRetentionMs: number;
  dlqMaxLen: number;
  /** DLQ_RETENTION_MS: dead letters older than this are trimmed by housekeeping (0 = no age limit). */
  dlqRetentionMs: number;
  alertsMaxLen: number;
  /** ALERTS_RETENTION_MS: alerts older than this are trimmed by housekeeping (0 = no age limit). */
  alertsRetentionMs: number;
  alertWindowMs: number;
  eventsMaxLen: number;
  eventsIndexMaxLen: number;
  /** EVENTS_RETENTION_MS: events and their per-plate index entries older than this are trimmed (0 = none). */
  eventsRetentionMs: number;
  eventsIdleFlushMs: number;
  watchlistHitTtlMs: number;
  watchlistMissTtlMs: number;
  staticMaxAgeMs: number;
  /** NOTIFIER_KEEP_COMPLETED_MS: delivered webhook jobs are kept this long (failed ones are kept). */
  notifierKeepCompletedMs: number;
  notifierKeepFailedMs: number;
  /** AUDIT_RETENTION_MS: audit entries (stream and table) older than this are removed on append. */
  auditRetentionMs: number;
}

export const RETENTION_DEFAULTS: Readonly<RetentionSettings> = Object.freeze({
  resultRetention: 'maxlen',
  resultsMaxLen: 1_000_000,
  resultsRetentionMs: DAY,
  frameRetentionMs: 0,
  plateIndexRetentionMs: 7 * DAY,
  dlqMaxLen: 100_000,
  dlqRetentionMs: 0,
  alertsMaxLen: 100_000,
  alertsRetentionMs: 0,
  alertWindowMs: 60_000,
  eventsMaxLen: 1_000_000,
  eventsIndexMaxLen: 1_000_000,
  eventsRetentionMs: 0,
  eventsIdleFlushMs: 5000,
  watchlistHitTtlMs: 600_000,
  watchlistMissTtlMs: 60_000,
  staticMaxAgeMs: 30_000,
  notifierKeepCompletedMs: NOTIFIER_DEFAULTS.keepCompletedMs,
  notifierKeepFailedMs: NOTIFIER_DEFAULTS.keepFailedMs,
  auditRetentionMs: 365 * DAY,
});

/** The age limits the worker's housekeeping enforces (read by the worker with its own configuration). */
export interface AgeLimits {
  dlqRetentionMs: number;
  alertsRetentionMs: number;
  eventsRetentionMs: number;
}

/** Reads DLQ_RETENTION_MS, ALERTS_RETENTION_MS and EVENTS_RETENTION_MS (0 = no age limit). */
export function readAgeLimits(r: EnvReader): AgeLimits {
  const d = RETENTION_DEFAULTS;
  const max = 3650 * DAY;
  return {
    dlqRetentionMs: r.int('DLQ_RETENTION_MS', d.dlqRetentionMs, { min: 0, max }),
    alertsRetentionMs: r.int('ALERTS_RETENTION_MS', d.alertsRetentionMs, { min: 0, max }),
    eventsRetentionMs: r.int('EVENTS_RETENTION_MS', d.eventsRetentionMs, { min: 0, max }),
  };
}

/** Reads AUDIT_RETENTION_MS. */
export function readAuditRetention(r: EnvReader): number {
  return r.int('AUDIT_RETENTION_MS', RETENTION_DEFAULTS.auditRetentionMs, { min: 60_000, max: 3650 * DAY });
}

/**
 * Every retention setting, for `privacy report`, read through the readers of the components that enforce
 * them (`stages`: the worker's and the events stage's configuration, each read and checked as that process
 * would), plus the privacy settings of its own; problems of the latter go to `r` (the caller finishes it).
 */
export function readRetentionSettings(
  r: EnvReader,
  stages: {
    worker: Pick<
      WorkerOptionsLike,
      | 'resultRetention'
      | 'resultsMaxLen'
      | 'resultsRetentionMs'
      | 'frameRetentionMs'
      | 'plateIndexRetentionMs'
      | 'dlqMaxLen'
      | 'staticMaxAgeMs'
    >;
    alerts: { maxLen: number; windowMs: number };
    watchlist: { hitTtlMs: number; missTtlMs: number };
    events: { eventsMaxLen: number; indexMaxLen: number; idleFlushMs: number };
  },
): RetentionSettings {
  const { worker: w, alerts, watchlist, events } = stages;
  return {
    resultRetention: w.resultRetention,
    resultsMaxLen: w.resultsMaxLen,
    resultsRetentionMs: w.resultsRetentionMs,
    frameRetentionMs: w.frameRetentionMs,
    plateIndexRetentionMs: w.plateIndexRetentionMs,
    dlqMaxLen: w.dlqMaxLen,
    alertsMaxLen: alerts.maxLen,
    alertWindowMs: alerts.windowMs,
    eventsMaxLen: events.eventsMaxLen,
    eventsIndexMaxLen: events.indexMaxLen,
    eventsIdleFlushMs: events.idleFlushMs,
    watchlistHitTtlMs: watchlist.hitTtlMs,
    watchlistMissTtlMs: watchlist.missTtlMs,
    staticMaxAgeMs: w.staticMaxAgeMs,
    ...webhookJobs(r),
    auditRetentionMs: readAuditRetention(r),
    ...readAgeLimits(r),
  };
}

/** The worker option fields the report needs (structural: privacy/ does not import worker/). */
interface WorkerOptionsLike {
  resultRetention: 'maxlen' | 'minid';
  resultsMaxLen: number;
  resultsRetentionMs: number;
  frameRetentionMs: number;
  plateIndexRetentionMs: number;
  dlqMaxLen: number;
  staticMaxAgeMs: number;
}

/** The notifier's webhook job retention, through the notifier's own definition of the variables. */
function webhookJobs(r: EnvReader): { notifierKeepCompletedMs: number; notifierKeepFailedMs: number } {
  const w = readWebhookJobRetention(r);
  return { notifierKeepCompletedMs: w.keepCompletedMs, notifierKeepFailedMs: w.keepFailedMs };
}

/** Who is acting, for the audit trail: LPR_AUDIT_ACTOR, else the operating-system user. */
export function auditActor(r: EnvReader): string {
  const set = r.optionalString('LPR_AUDIT_ACTOR');
  if (set) return set;
  try {
    return `os:${userInfo().username}`;
  } catch {
    return 'os:unknown';
  }
}
