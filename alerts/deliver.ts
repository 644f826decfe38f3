import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UnrecoverableError } from 'bullmq';
import { PlatestreamError } from '../shared/errors.ts';
import { redactUrl } from '../shared/redact-url.ts';
import { isoTime } from '../shared/util/iso-time.ts';
import type { AlertFields } from './alert-codec.ts';
import {
  checkedLookup,
  DEFAULT_WEBHOOK_POLICY,
  type WebhookPolicy,
  WebhookRefusedError,
  webhookPolicyProblem,
} from './webhook-policy.ts';
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
 * POSTs one alert. Resolves with the status on 2xx; throws UnrecoverableError for permanent refusals (and
 * for destinations the webhook policy refuses) and a WEBHOOK_FAILED error (retried with backoff) for
 * everything else: connection refused, timeouts, 5xx, 429. The destination is checked again here, after DNS
 * resolution, and the request connects to the address that was checked. Credentials in the URL
 * (`https://user:pw@host/`) are sent as Basic authentication and never logged.
 */
export async function deliverAlert(
  data: AlertJobData,
  opts: {
    defaultWebhook: string | undefined;
    secret: string;
    requestTimeoutMs: number;
    policy?: WebhookPolicy;
  },
): Promise<number> {
  const url = data.alert.webhook || opts.defaultWebhook;
  if (!url) {
    throw new UnrecoverableError(
      `alert ${data.id}: its watchlist entry has no webhook and LPR_WEBHOOK_URL is not set; set one, then run "platestream alerts retry --all"`,
    );
  }
  const policy = opts.policy ?? DEFAULT_WEBHOOK_POLICY;
  const where = safeUrl(url);
  const refused = webhookPolicyProblem(url, policy);
  if (refused) throw new UnrecoverableError(`alert ${data.id}: ${where}: ${refused}`);
  const body = JSON.stringify(alertBody(data.id, data.alert));
  let status: number;
  try {
    status = await post(
      url,
      body,
      {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: sign(opts.secret, body, Date.now()),
        [IDEMPOTENCY_HEADER]: data.id,
        'user-agent': 'platestream-notifier',
      },
      opts.requestTimeoutMs,
      policy,
    );
  } catch (err) {
    if (err instanceof WebhookRefusedError) {
      throw new UnrecoverableError(`alert ${data.id}: ${where}: ${err.message}`);
    }
    const e = err as { code?: string; message?: string };
    const why = redactUrl(e.code ?? e.message ?? String(err));
    throw new PlatestreamError('WEBHOOK_FAILED', `alert ${data.id}: POST ${where} failed (${why})`);
  }
  if (status >= 200 && status < 300) return status;
  if (PERMANENT.has(status)) {
    throw new UnrecoverableError(
      `alert ${data.id}: ${where} refused it with HTTP ${status}; fix the receiver, then "platestream alerts retry ${data.id}"`,
    );
  }
  throw new PlatestreamError('WEBHOOK_FAILED', `alert ${data.id}: ${where} answered HTTP ${status}`);
}

/** One POST over node:http(s) with the checked lookup; resolves with the status (redirects not followed). */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  policy: WebhookPolicy,
): Promise<number> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const auth =
    u.username || u.password
      ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`
      : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: u.protocol,
        hostname: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        auth,
        lookup: checkedLookup(policy) as never,
        timeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.end(body);
  });
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
