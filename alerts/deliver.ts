import { UnrecoverableError } from 'bullmq';
import { PlatestreamError } from '../shared/errors.ts';
import { isoTime } from '../shared/util/iso-time.ts';
import type { AlertFields } from './alert-codec.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign } from './signature.ts';

/** What a BullMQ job carries: the alert stream id (also the job id and idempotency key) and its fields. */
export interface AlertJobData {
  id: string;
  alert: AlertFields;
}

/** The JSON a receiver gets. Documented in docs/watchlist.md. */
export interface AlertBody {
  id: string;
  plate: string;
  watchPlate: string;
  camera: string;
  ts: number;
  capturedAt: string;
  frame: string;
  entry: { id: string; label: string };
  fuzzy: boolean;
  distance: number;
  confidence: number | null;
}

export function alertBody(id: string, a: AlertFields): AlertBody {
  const ts = Number(a.ts);
  return {
    id,
    plate: a.plate,
    watchPlate: a.watchPlate,
    camera: a.camera,
    ts,
    capturedAt: isoTime(ts) ?? '',
    frame: a.frame,
    entry: { id: a.entry, label: a.label },
    fuzzy: a.fuzzy === '1',
    distance: Number(a.distance) || 0,
    confidence: a.confidence === '' ? null : Number(a.confidence),
  };
}

/** Statuses that will not change by retrying the same request; the job fails at once (kept for `alerts retry`). */
const PERMANENT = new Set([400, 401, 403, 404, 405, 410, 413, 415, 422]);

/**
 * POSTs one alert. Resolves with the status on 2xx; throws UnrecoverableError for permanent refusals and
 * a WEBHOOK_FAILED error (retried with backoff) for everything else: connection refused, timeouts, 5xx, 429.
 */
export async function deliverAlert(
  data: AlertJobData,
  opts: { defaultWebhook: string | undefined; secret: string; requestTimeoutMs: number },
): Promise<number> {
  const url = data.alert.webhook || opts.defaultWebhook;
  if (!url) {
    throw new UnrecoverableError(
      `alert ${data.id}: its watchlist entry has no webhook and LPR_WEBHOOK_URL is not set; set one, then run "platestream alerts retry --all"`,
    );
  }
  const body = JSON.stringify(alertBody(data.id, data.alert));
  const where = safeUrl(url);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: sign(opts.secret, body, Date.now()),
        [IDEMPOTENCY_HEADER]: data.id,
        'user-agent': 'platestream-notifier',
      },
      body,
      signal: AbortSignal.timeout(opts.requestTimeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    throw new PlatestreamError('WEBHOOK_FAILED', `alert ${data.id}: POST ${where} failed (${why})`, {
      cause: err,
    });
  }
  await res.body?.cancel().catch(() => {});
  if (res.ok) return res.status;
  if (PERMANENT.has(res.status)) {
    throw new UnrecoverableError(
      `alert ${data.id}: ${where} refused it with HTTP ${res.status}; fix the receiver, then "platestream alerts retry ${data.id}"`,
    );
  }
  throw new PlatestreamError('WEBHOOK_FAILED', `alert ${data.id}: ${where} answered HTTP ${res.status}`);
}

/** Origin and path only: no credentials or query string in logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
