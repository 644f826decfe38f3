import { DEFAULT_WEBHOOK_POLICY, type WebhookPolicy } from '../alerts/index.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { type EntryInput, parseEntry } from './entry.ts';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: comma separated, double quotes around fields that hold commas, quotes ("" inside) or
 * line breaks. Blank lines and lines starting with # are skipped. Throws on an unterminated quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  const s = text.replace(/^\uFEFF/, '');
  let i = 0;
  let line = 1;
  while (i < s.length) {
    const start = line;
    if (s[i] === '#') {
      while (i < s.length && s[i] !== '\n') i++;
      i++;
      line++;
      continue;
    }
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let endOfRecord = false;
    while (i < s.length && !endOfRecord) {
      const c = s[i]!;
      if (quoted) {
        if (c === '"' && s[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i++;
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
      } else if (c === '"' && field === '') {
        quoted = true;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        i++;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && s[i + 1] === '\n') i++;
        i++;
        line++;
        endOfRecord = true;
      } else {
        field += c;
        i++;
      }
    }
    if (quoted)
      throw new PlatestreamError('WATCHLIST_INVALID', `line ${start}: a quoted field is never closed`);
    fields.push(field);
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    out.push({ line: start, fields });
  }
  return out;
}

export const CSV_COLUMNS = ['plate', 'label', 'expires', 'webhook'] as const;
const ALIASES: Record<string, (typeof CSV_COLUMNS)[number]> = {
  plate: 'plate',
  label: 'label',
  reason: 'label',
  expires: 'expires',
  expires_at: 'expires',
  expiry: 'expires',
  webhook: 'webhook',
};

export interface CsvImport {
  entries: EntryInput[];
  /** One line per bad row: `line N: what is wrong`. */
  errors: string[];
}

/**
 * Validates a watchlist CSV. The first record is a header naming the columns (plate, label; optional
 * expires, webhook; `reason` and `expires_at` are accepted aliases). Every bad row is reported, each with
 * its line number; a plate listed twice is an error naming both lines.
 */
export function readWatchlistCsv(
  text: string,
  now = Date.now(),
  policy: WebhookPolicy = DEFAULT_WEBHOOK_POLICY,
): CsvImport {
  const records = parseCsv(text);
  const errors: string[] = [];
  const header = records.shift();
  if (!header)
    return {
      entries: [],
      errors: ['line 1: the file is empty; expected a header such as plate,label,expires,webhook'],
    };
  const index: Partial<Record<(typeof CSV_COLUMNS)[number], number>> = {};
  header.fields.forEach((name, i) => {
    const col = ALIASES[name.trim().toLowerCase()];
    if (!col)
      errors.push(`line ${header.line}: unknown column "${name.trim()}"; expected ${CSV_COLUMNS.join(', ')}`);
    else if (index[col] !== undefined) errors.push(`line ${header.line}: column "${col}" appears twice`);
    else index[col] = i;
  });
  if (index.plate === undefined || index.label === undefined) {
    errors.push(`line ${header.line}: the header must name at least the plate and label columns`);
    return { entries: [], errors };
  }
  const seen = new Map<string, number>();
  const entries: EntryInput[] = [];
  for (const rec of records) {
    if (rec.fields.length !== header.fields.length) {
      errors.push(
        `line ${rec.line}: has ${rec.fields.length} fields, the header has ${header.fields.length}`,
      );
      continue;
    }
    const get = (col: (typeof CSV_COLUMNS)[number]) =>
      index[col] === undefined ? undefined : rec.fields[index[col]];
    const { input, problems } = parseEntry(
      { plate: get('plate') ?? '', label: get('label'), expires: get('expires'), webhook: get('webhook') },
      now,
      policy,
    );
    if (!input) {
      errors.push(`line ${rec.line}: ${problems.join('; ')}`);
      continue;
    }
    const first = seen.get(input.plate);
    if (first !== undefined) {
      errors.push(`line ${rec.line}: plate "${input.plate}" is already on line ${first}`);
      continue;
    }
    seen.set(input.plate, rec.line);
    entries.push(input);
  }
  return { entries, errors };
}
