import { redactUrl } from '../shared/redact-url.ts';

/** The webhook URL rule, shared by watchlist entries (their own receiver) and the notifier (LPR_WEBHOOK_URL). */

/** What is wrong with a webhook URL (http:// or https:// only), or undefined when it is fine. */
export function webhookProblem(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      return `webhook "${redactUrl(url)}" must be an http:// or https:// URL`;
    return undefined;
  } catch {
    return `webhook "${redactUrl(url)}" is not a URL`;
  }
}
