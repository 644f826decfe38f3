import { hostname } from 'node:os';
import { deepFreeze, type EnvReader } from '../shared/config/env-reader.ts';
import { type LogOptions, readLogConfig } from '../shared/config/logger-config.ts';
import { type RedisConfig, readRedisConfig } from '../shared/config/redis-config.ts';
import { readWebhookPolicy, type WebhookPolicy, webhookPolicyProblem } from './webhook-policy.ts';
import { webhookProblem } from './webhook-url.ts';

/** Options of the alert notifier (stream → BullMQ → webhooks). */
export interface NotifierConfig {
  /** Receiver for alerts whose watchlist entry has no webhook of its own (LPR_WEBHOOK_URL). */
  defaultWebhook: string | undefined;
  /** HMAC-SHA256 key for the X-Platestream-Signature header (NOTIFIER_SECRET, required). */
  secret: string;
  /** How long one alert is retried before its job is kept as failed (ms; NOTIFIER_RETRY_HOURS). */
  retryForMs: number;
  /** First retry delay (ms); doubles each attempt, with jitter. */
  backoffBaseMs: number;
  /** Longest delay between two attempts (ms). */
  backoffMaxMs: number;
  /** Deadline of one POST (ms). */
  requestTimeoutMs: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Consumer name in the `notifier` group; defaults to host-pid. */
  consumer: string;
  /** Alerts read but not handed to BullMQ by a dead notifier are claimed after this idle time (ms). */
  claimIdleMs: number;
  /** BLOCK of XREADGROUP (ms); a watchdog cuts the connection if a read hangs past it. */
  blockMs: number;
  /** BullMQ job lock; an active job of a killed notifier is retried after about this long (ms). */
  lockMs: number;
  /** Completed jobs are kept this long so a re-added alert id stays a no-op (ms). */
  keepCompletedMs: number;
  /**
   * Failed jobs (deliveries given up) are kept this long for `alerts retry` (ms), then removed: they hold
   * plates, so they need an age limit like every other kind (NOTIFIER_KEEP_FAILED_MS).
   */
  keepFailedMs: number;
  /** Where webhooks may point (LPR_WEBHOOK_ALLOW); checked again at every delivery after DNS resolution. */
  policy?: WebhookPolicy;
}

export const NOTIFIER_DEFAULTS: Omit<NotifierConfig, 'secret' | 'defaultWebhook' | 'consumer'> = {
  retryForMs: 24 * 3600_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 15 * 60_000,
  requestTimeoutMs: 10_000,
  concurrency: 8,
  claimIdleMs: 60_000,
  blockMs: 5000,
  lockMs: 30_000,
  keepCompletedMs: 7 * 24 * 3600_000,
  keepFailedMs: 30 * 24 * 3600_000,
};

/** How long webhook jobs are kept (the notifier applies it; `privacy report` shows it): one definition. */
export function readWebhookJobRetention(r: EnvReader): { keepCompletedMs: number; keepFailedMs: number } {
  const d = NOTIFIER_DEFAULTS;
  return {
    keepCompletedMs: r.int('NOTIFIER_KEEP_COMPLETED_MS', d.keepCompletedMs, {
      min: 60_000,
      max: 365 * 24 * 3600_000,
    }),
    keepFailedMs: r.int('NOTIFIER_KEEP_FAILED_MS', d.keepFailedMs, { min: 60_000, max: 365 * 24 * 3600_000 }),
  };
}

export function readNotifierConfig(r: EnvReader): NotifierConfig {
  const d = NOTIFIER_DEFAULTS;
  const defaultWebhook = r.optionalString('LPR_WEBHOOK_URL');
  const policy = readWebhookPolicy(r);
  if (defaultWebhook) {
    const p = webhookProblem(defaultWebhook) ?? webhookPolicyProblem(defaultWebhook, policy);
    if (p) r.problem('LPR_WEBHOOK_URL', p);
  }
  const secret = r.optionalString('NOTIFIER_SECRET') ?? '';
  if (secret.length < 16) {
    r.problem(
      'NOTIFIER_SECRET',
      'must be set to at least 16 characters (the receivers verify the HMAC-SHA256 signature with it)',
    );
  }
  const hours = r.number('NOTIFIER_RETRY_HOURS', d.retryForMs / 3600_000, { min: 0.0001, max: 24 * 30 });
  return deepFreeze({
    defaultWebhook,
    policy,
    secret,
    retryForMs: Math.round(hours * 3600_000),
    backoffBaseMs: r.int('NOTIFIER_BACKOFF_BASE_MS', d.backoffBaseMs, { min: 1, max: 3600_000 }),
    backoffMaxMs: r.int('NOTIFIER_BACKOFF_MAX_MS', d.backoffMaxMs, { min: 1, max: 24 * 3600_000 }),
    requestTimeoutMs: r.int('NOTIFIER_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, { min: 100, max: 600_000 }),
    concurrency: r.int('NOTIFIER_CONCURRENCY', d.concurrency, { min: 1, max: 1000 }),
    consumer: r.string('NOTIFIER_CONSUMER', `${hostname()}-${process.pid}`, {
      pattern: /^[A-Za-z0-9_.-]{1,64}$/,
      hint: '1-64 characters of A-Z a-z 0-9 _ . -',
    }),
    claimIdleMs: r.int('NOTIFIER_CLAIM_IDLE_MS', d.claimIdleMs, { min: 100, max: 24 * 3600_000 }),
    blockMs: r.int('NOTIFIER_BLOCK_MS', d.blockMs, { min: 10, max: 60_000 }),
    lockMs: r.int('NOTIFIER_LOCK_MS', d.lockMs, { min: 200, max: 3600_000 }),
    ...readWebhookJobRetention(r),
  });
}

/** Everything the notifier process reads from its environment, in one pass. */
export interface NotifierProcessConfig {
  redis: RedisConfig;
  notifier: NotifierConfig;
  log: LogOptions;
}

/** Reads the notifier process's whole configuration and finishes the reader (every problem at once). */
export function readNotifierProcessConfig(r: EnvReader): Readonly<NotifierProcessConfig> {
  const config = { redis: readRedisConfig(r), notifier: readNotifierConfig(r), log: readLogConfig(r) };
  r.finish();
  return deepFreeze(config);
}
