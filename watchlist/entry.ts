import {
  DEFAULT_WEBHOOK_POLICY,
  type WebhookPolicy,
  webhookPolicyProblem,
  webhookProblem,
} from '../alerts/index.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { normalisePlate, plateProblem } from '../shared/plate-text.ts';

/** One watchlist entry as stored in PostgreSQL and cached in Redis. Times are ISO 8601 strings. */
export interface WatchlistEntry {
  /** Database id (bigint as a decimal string). */
  id: string;
  /** Normalised plate text. */
  plate: string;
  /** Why the plate is watched; shown to whoever receives the alert. */
  label: string;
  /** After this instant the entry no longer matches; null: never expires. */
  expiresAt: string | null;
  /** Receiver for this entry's alerts; null: the notifier's default (LPR_WEBHOOK_URL). */
  webhook: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a caller supplies to add or import an entry (already validated and normalised). */
export interface EntryInput {
  plate: string;
  label: string;
  expiresAt: Date | null;
  webhook: string | null;
}

/** Raw text fields of an entry, from the CLI or a CSV row. */
export interface RawEntry {
  plate: string;
  label?: string | undefined;
  expires?: string | undefined;
  webhook?: string | undefined;
}

export const MAX_LABEL_LENGTH = 500;

/** Validates raw text; returns the normalised input or every problem found (field named in each). */
/**
 * `policy` (LPR_WEBHOOK_ALLOW) decides where a webhook may point; the default refuses loopback, link-local
 * and private destinations.
 */
export function parseEntry(
  raw: RawEntry,
  now = Date.now(),
  policy: WebhookPolicy = DEFAULT_WEBHOOK_POLICY,
): { input?: EntryInput; problems: string[] } {
  const problems: string[] = [];
  const plate = normalisePlate(raw.plate ?? '');
  const pp = plateProblem(raw.plate ?? '');
  if (pp) problems.push(pp);
  const label = (raw.label ?? '').trim();
  if (label === '') problems.push('label is empty (say why the plate is watched)');
  else if (label.length > MAX_LABEL_LENGTH)
    problems.push(`label is longer than ${MAX_LABEL_LENGTH} characters`);
  let expiresAt: Date | null = null;
  const exp = (raw.expires ?? '').trim();
  if (exp !== '') {
    const ok = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(exp);
    const d = new Date(exp.length === 10 ? `${exp}T00:00:00Z` : exp);
    if (!ok || Number.isNaN(d.getTime())) {
      problems.push(
        `expires "${exp}" is not a date; use ISO 8601 such as 2027-01-31 or 2027-01-31T18:00:00Z`,
      );
    } else if (d.getTime() <= now) {
      problems.push(`expires "${exp}" is in the past`);
    } else {
      expiresAt = d;
    }
  }
  let webhook: string | null = null;
  const wh = (raw.webhook ?? '').trim();
  if (wh !== '') {
    const problem = webhookProblem(wh) ?? webhookPolicyProblem(wh, policy);
    if (problem) problems.push(problem);
    else webhook = wh;
  }
  if (problems.length) return { problems };
  return { input: { plate, label, expiresAt, webhook }, problems };
}

/** Like parseEntry but throws WATCHLIST_INVALID listing every problem. */
export function parseEntryOrThrow(raw: RawEntry, policy: WebhookPolicy = DEFAULT_WEBHOOK_POLICY): EntryInput {
  const { input, problems } = parseEntry(raw, Date.now(), policy);
  if (!input) {
    throw new PlatestreamError('WATCHLIST_INVALID', `Invalid watchlist entry: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return input;
}

/** True when the entry has an expiry at or before `now`. */
export function isExpired(entry: WatchlistEntry, now = Date.now()): boolean {
  return entry.expiresAt !== null && Date.parse(entry.expiresAt) <= now;
}
