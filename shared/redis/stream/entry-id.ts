/**
 * Stream entry ids (`<ms>-<seq>`): parse, compare, convert to and from time, step to the next or previous id.
 *
 * API: `parseEntryId(id)` → { ms, seq } (throws on a malformed id; a bare `<ms>` means `<ms>-0`),
 * `isEntryId(s)`, `entryIdMs(id)` (server time of the XADD; lenient, for ids Redis gave us),
 * `idFromMs(ms, seq?)`, `compareIds(a, b)` (-1 | 0 | 1), `nextId(id)` (smallest id after it),
 * `previousId(id)` (largest id before it; `0-0` stays `0-0`), `MIN_ENTRY_ID`, `MAX_SEQ`.
 * The sequence part is a 64-bit unsigned integer: it is handled as a bigint so no id loses precision.
 */

/** Smallest possible id (XREAD/XRANGE "from the start" when used as an exclusive start). */
export const MIN_ENTRY_ID = '0-0';
/** Largest sequence number Redis allows in one millisecond (2^64 - 1). */
export const MAX_SEQ = 18446744073709551615n;

export interface EntryId {
  /** Milliseconds part (server time of the XADD). */
  ms: number;
  /** Sequence within that millisecond. */
  seq: bigint;
}

const ID_RE = /^(\d{1,16})(?:-(\d{1,20}))?$/;

/** True for `<ms>-<seq>` and bare `<ms>` within Redis's limits. */
export function isEntryId(s: string): boolean {
  const m = ID_RE.exec(s);
  return m !== null && Number.isSafeInteger(Number(m[1])) && (m[2] === undefined || BigInt(m[2]) <= MAX_SEQ);
}

/** Parses `<ms>-<seq>` (or `<ms>`, read as `<ms>-0`); throws a plain Error naming the bad id. */
export function parseEntryId(id: string): EntryId {
  if (!isEntryId(id)) throw new Error(`"${id}" is not a stream entry id (<ms>-<seq>)`);
  const dash = id.indexOf('-');
  if (dash < 0) return { ms: Number(id), seq: 0n };
  return { ms: Number(id.slice(0, dash)), seq: BigInt(id.slice(dash + 1)) };
}

/** Milliseconds part of an id Redis returned ("1700000000000-3" → 1700000000000). */
export function entryIdMs(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}

/** The id `<ms>-<seq>` (ms truncated to an integer, never negative). */
export function idFromMs(ms: number, seq: number | bigint = 0): string {
  return `${Math.max(0, Math.trunc(ms))}-${seq}`;
}

/** Orders two ids as Redis does: -1 when a < b, 0 when equal, 1 when a > b. */
export function compareIds(a: string, b: string): -1 | 0 | 1 {
  const x = parseEntryId(a);
  const y = parseEntryId(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  if (x.seq !== y.seq) return x.seq < y.seq ? -1 : 1;
  return 0;
}

/** The smallest id greater than `id` (an inclusive start for XRANGE after an exclusive one). */
export function nextId(id: string): string {
  const { ms, seq } = parseEntryId(id);
  return seq < MAX_SEQ ? `${ms}-${seq + 1n}` : `${ms + 1}-0`;
}

/** The largest id smaller than `id`: turns an inclusive start into the exclusive one XREAD takes. */
export function previousId(id: string): string {
  const { ms, seq } = parseEntryId(id);
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms > 0 ? `${ms - 1}-${MAX_SEQ}` : MIN_ENTRY_ID;
}
