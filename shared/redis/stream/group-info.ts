/**
 * Parsing of XINFO replies, shared by ingest (backlog), the worker (/metrics) and `platestream stats`.
 *
 * API: `parseGroupInfo(reply)` → GroupInfo[] (name, consumers, pending, lag or null, lastDeliveredId),
 * `fieldPairs(reply)` (flat [k, v, ...] → object), `nullableNumber(v)`.
 */

/** Turns a flat [k, v, k, v] reply into an object. */
export function fieldPairs(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** A number, or null for nil / non-numeric values (Redis 7.0 reports lag as nil when it cannot tell). */
export function nullableNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** One consumer group from XINFO GROUPS. */
export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  /** Entries not yet delivered to the group; null when Redis cannot tell. */
  lag: number | null;
  lastDeliveredId: string;
}

/** Parses an XINFO GROUPS reply. */
export function parseGroupInfo(reply: unknown): GroupInfo[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((g) => {
    const p = fieldPairs(g);
    return {
      name: String(p.name),
      consumers: Number(p.consumers ?? 0),
      pending: Number(p.pending ?? 0),
      lag: nullableNumber(p.lag),
      lastDeliveredId: String(p['last-delivered-id']),
    };
  });
}
