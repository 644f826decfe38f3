import type { ResultRecord } from '../shared/codec/result-codec.ts';
import { normalisePlate } from '../shared/plate-text.ts';

export interface ResultFilter {
  /** Cameras to keep (empty = all). */
  cameras: string[];
  /** Plate pattern: `*` any run of characters, `?` one character; case-insensitive. */
  plate?: string;
  minConfidence: number;
  /** Keep results without a plate (coverage rows). */
  includeEmpty: boolean;
}

/** `*` and `?` wildcards around plate text normalised by the one plate rule (shared/plate-text.ts). */
export function plateGlobToRegExp(glob: string): RegExp {
  const body = glob
    .split(/([*?])/)
    .map((part) => (part === '*' ? '.*' : part === '?' ? '.' : normalisePlate(part)))
    .join('');
  return new RegExp(`^${body}$`);
}

export function compileFilter(f: ResultFilter): (r: ResultRecord) => boolean {
  const cams = new Set(f.cameras);
  const re = f.plate ? plateGlobToRegExp(f.plate) : undefined;
  return (r) => {
    if (cams.size > 0 && !cams.has(r.camera)) return false;
    if (!r.plate) return f.includeEmpty && !re && f.minConfidence <= 0;
    if (r.confidence < f.minConfidence) return false;
    if (re && !re.test(r.plate)) return false;
    return true;
  };
}

/**
 * Parses a start position: a stream id ("1700000000000-0"), a ms epoch, an ISO date, or a relative time
 * ("-10m", "-2h", "-30s", "-1d"). Returns a stream id suitable for XRANGE/XREAD.
 */
export function parseFrom(from: string, now = Date.now()): string {
  return parsePosition('--from', from, now, '0');
}

/**
 * Parses an end position (inclusive), same forms as parseFrom: a stream id stays itself, a time covers
 * every entry of its millisecond ("<ms>-<max seq>").
 */
export function parseTo(to: string, now = Date.now()): string {
  return parsePosition('--to', to, now, '18446744073709551615');
}

function parsePosition(option: string, value: string, now: number, seq: string): string {
  const s = value.trim();
  if (/^\d+-\d+$/.test(s)) return s;
  if (/^\d{10,16}$/.test(s)) return `${s}-${seq}`;
  const rel = /^-(\d+)(s|m|h|d)$/.exec(s);
  if (rel) {
    const mult = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return `${now - Number(rel[1]) * mult}-${seq}`;
  }
  const t = Date.parse(s);
  if (Number.isFinite(t)) return `${t}-${seq}`;
  throw new Error(`${option} "${value}" is not a stream id, ms epoch, ISO date or relative time like -10m`);
}

/** True when a plate argument is a pattern (`*` any run of characters, `?` one character). */
export function isPlateGlob(s: string): boolean {
  return /[*?]/.test(s);
}
