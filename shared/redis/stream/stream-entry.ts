/**
 * One stream entry as the toolkit returns it, and the one parser of XREAD / XREADGROUP / XAUTOCLAIM
 * replies (RESP2 arrays, read with `callBuffer` so binary fields such as frame images stay intact).
 *
 * API: `StreamEntry` { stream, id, fields: Buffer[] }, `entryFields(entry)` → string[] (UTF-8),
 * `fieldValue(entry, name)`, `parseReadReply(reply)`.
 */

/** An entry: its stream, id and flat [field, value, ...] list as Buffers. */
export interface StreamEntry {
  stream: string;
  id: string;
  /** Never empty for a live entry (XADD needs a field); empty for an entry deleted while pending. */
  fields: Buffer[];
}

/** An XREAD / XREADGROUP reply as `callBuffer` returns it (null when BLOCK timed out). */
export type ReadReply = [Buffer, ([Buffer, Buffer[] | null] | null)[]][] | null;

/** The fields as UTF-8 strings (for entries without binary values: results, alerts, events). */
export function entryFields(entry: StreamEntry): string[] {
  return entry.fields.map((b) => b.toString('utf8'));
}

/** The value of one field as a UTF-8 string, or undefined. */
export function fieldValue(entry: StreamEntry, name: string): string | undefined {
  for (let i = 0; i + 1 < entry.fields.length; i += 2) {
    if (entry.fields[i]!.toString('utf8') === name) return entry.fields[i + 1]!.toString('utf8');
  }
  return undefined;
}

/**
 * Entries of an XREAD / XREADGROUP reply, stream by stream in reply order. An entry returned with nil fields
 * (deleted while pending, Redis < 7) keeps an empty field list.
 */
export function parseReadReply(reply: ReadReply): StreamEntry[] {
  if (!reply) return [];
  const out: StreamEntry[] = [];
  for (const [name, entries] of reply) out.push(...parseEntryList(name.toString('latin1'), entries));
  return out;
}

/** One stream's entry list ([[id, fields], ...]), skipping nil items. */
function parseEntryList(stream: string, list: ([Buffer, Buffer[] | null] | null)[]): StreamEntry[] {
  const out: StreamEntry[] = [];
  for (const item of list) {
    if (!item) continue;
    out.push({ stream, id: item[0].toString('latin1'), fields: item[1] ?? [] });
  }
  return out;
}
