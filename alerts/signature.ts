import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-platestream-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function sign(secret: string, body: string, timestampMs: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex');
  return `t=${timestampMs},v1=${mac}`;
}

/**
 * Receiver-side check (also used by the tests): the signature must match and be younger than toleranceMs.
 */
export function verify(
  secret: string,
  body: string,
  header: string | undefined,
  toleranceMs = 5 * 60_000,
  now = Date.now(),
): boolean {
  if (!header) return false;
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(now - t) > toleranceMs) return false;
  const expected = Buffer.from(sign(secret, body, t).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}
