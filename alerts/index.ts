/**
 * Alerts, the public entry for other stages: the alerts stream entry (codec), how alerts are written
 * (alert-write.ts, the one place), their settings (ALERT_WINDOW_MS, ALERTS_MAXLEN) and the webhook URL
 * rule. Delivery (notifier.ts: stream → BullMQ → signed webhooks) and the `notifier` / `alerts` commands
 * are entry points of their own, loaded by cli/main.ts, so importing this file does not load BullMQ.
 */

export {
  type AlertFields,
  type AlertFrame,
  type AlertMatch,
  type AlertResult,
  alertFieldList,
  alertPayload,
  decodeAlert,
} from './alert-codec.ts';
export { ALERT_DEFAULTS, type AlertOptions, readAlertConfig } from './alert-config.ts';
export { type AlertPayload, alertScriptArgs, alertToWrite, alertWindowKey } from './alert-write.ts';
export { webhookQueue, webhookQueueKeyPrefix } from './webhook-queue.ts';
export { webhookProblem } from './webhook-url.ts';
export {
  DEFAULT_WEBHOOK_POLICY,
  readWebhookPolicy,
  type WebhookPolicy,
  webhookPolicyProblem,
} from './webhook-policy.ts';
