import type { ResultRecord } from '../shared/codec/result-codec.ts';
import { entryIdMs } from '../shared/redis/stream/index.ts';
import { isoTime } from '../shared/util/iso-time.ts';

/** End-to-end latency of a result: capture time → result written (from the result's stream id). */
export function latencyMs(r: ResultRecord): number | undefined {
  if (!r.id || !r.ts) return undefined;
  return Math.max(0, entryIdMs(r.id) - r.ts);
}

/** Watchlist column: HIT, HIT~ (fuzzy), ? (database unavailable), blank otherwise. */
function watchMark(r: ResultRecord): string {
  if (r.watchlist === 'hit') return 'HIT';
  if (r.watchlist === 'hit-fuzzy') return 'HIT~';
  if (r.watchlist === 'unknown') return '?';
  return '';
}

/** The column header printed once above formatResultLine rows. */
export function formatResultHeader(): string {
  return `${'capture time (UTC)'.padEnd(23)}  ${'camera'.padEnd(12)} ${'plate'.padEnd(10)} ${'conf'.padStart(6)}  ${'watch'.padEnd(5)} ${'latency'.padStart(8)}  result id`;
}

/** One human-readable line per result (columns of formatResultHeader). */
export function formatResultLine(r: ResultRecord): string {
  const iso = isoTime(r.ts);
  const when = iso
    ? iso.replace('T', ' ').replace('Z', '')
    : `(bad ts ${String(r.ts).slice(0, 16)})`.padEnd(23);
  const plate = r.plate ? r.plate.padEnd(10) : '(none)'.padEnd(10);
  const conf = r.plate ? `${(r.confidence * 100).toFixed(1).padStart(5)}%` : '     -';
  const lat = latencyMs(r);
  const latency = lat === undefined ? '' : `${lat} ms`;
  return `${when}  ${r.camera.padEnd(12)} ${plate} ${conf}  ${watchMark(r).padEnd(5)} ${latency.padStart(8)}  ${r.id ?? ''}`;
}

export function resultJson(r: ResultRecord): Record<string, unknown> {
  return { ...r, latencyMs: latencyMs(r) };
}
