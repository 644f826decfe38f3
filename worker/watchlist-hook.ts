import { type AlertOptions, alertPayload, alertToWrite } from '../alerts/index.ts';
import type { Enricher } from '../watchlist/index.ts';
import type { EnrichHook } from './worker.ts';

/**
 * Connects the watchlist to the worker: looks up each frame's chosen plate (cache-aside, never throws,
 * bounded by WATCHLIST_LOOKUP_DEADLINE_MS), tags the result with `watchlist` = hit | miss | unknown, and on
 * a hit (with LPR_ALERT_SOURCE=frames) hands the alert to the completion script, which writes it with the
 * result and the ack, at most once per camera and watchlist plate per ALERT_WINDOW_MS (see
 * alerts/alert-write.ts). With the default LPR_ALERT_SOURCE=events the events stage writes one alert per
 * vehicle pass instead, and results only carry the tag.
 */
export function watchlistEnrichHook(lookup: Pick<Enricher, 'lookup'>, alerts: AlertOptions): EnrichHook {
  return async (frame, result) => {
    if (!result.plate) return undefined;
    const r = await lookup.lookup(result.plate);
    if (r.status !== 'hit') return { fields: { watchlist: r.status } };
    const watchlist = r.fuzzy ? 'hit-fuzzy' : 'hit';
    if (alerts.source !== 'frames') return { fields: { watchlist } };
    const alert = alertPayload(r, frame, { plate: result.plate, confidence: result.confidence });
    return { fields: { watchlist }, alert: alertToWrite(alert, alerts) };
  };
}
