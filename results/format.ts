import type { ResultRecord } from '../shared/codec/result-codec.ts';
import { entryIdMs } from '../shared/redis/stream/index.ts';
import { isoTime } from '../shared/util/iso-time.ts';

/** End-to-end latency of a result: capture time → result written (from the result's stream id). */
export function latencyMs(r: ResultRecord): number | undefined {
  if (!r.id || !r.ts) return undefined;
  return Math.max(0, entryIdMs(r.id) - r.ts);
}

/** One human-readable line per result. */
export function formatResultLine(r: ResultRecord): string {
  const iso = isoTime(r.ts);
  const when = iso
    ? iso.replace('T', ' ').replace('Z', '')
    : `(bad ts ${String(r.ts).slice(0, 16)})`.padEnd(23);
  const plate = r.plate ? r.plate.padEnd(10) : '(none)'.padEnd(10);
  const conf = r.plate ? `${(r.confidence * 100).toFixed(1).padStart(5)}%` : '     -';
  const lat = latencyMs(r);
  return `${when}  ${r.camera.padEnd(12)} ${plate} ${conf}  ${lat === undefined ? '' : `${lat} ms`}  ${r.id ?? ''}`;
}

export function resultJson(r: ResultRecord): Record<string, unknown> {
  return { ...r, latencyMs: latencyMs(r) };
}
