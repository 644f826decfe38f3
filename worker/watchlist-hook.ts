import { type AlertOptions, alertPayload, alertToWrite } from '../alerts/index.ts';
import type { Enricher } from '../watchlist/index.ts';
import type { EnrichHook } from './worker.ts';

/**
 * Connects the watchlist to the worker: looks up each frame's chosen plate (cache-aside, never throws,
 * bounded by WATCHLIST_LOOKUP_DEADLINE_MS), tags the result with `watchlist` = hit | miss | unknown, and on
 * a hit hands the alert to the completion script, which writes it with the result and the ack, at most
 * once per camera and watchlist plate per ALERT_WINDOW_MS (see alerts/alert-write.ts).
 */
export function watchlistEnrichHook(lookup: Pick<Enricher, 'lookup'>, alerts: AlertOptions): EnrichHook {
  return async (frame, result) => {
    if (!result.plate) return undefined;
    const r = await lookup.lookup(result.plate);
    if (r.status !== 'hit') return { fields: { watchlist: r.status } };
    const alert = alertPayload(r, frame, { plate: result.plate, confidence: result.confidence });
    return { fields: { watchlist: r.fuzzy ? 'hit-fuzzy' : 'hit' }, alert: alertToWrite(alert, alerts) };
  };
}
