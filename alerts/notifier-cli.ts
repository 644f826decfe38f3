import { type CliIO, parseCommandArgs, processIO } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { configureRootLogger } from '../shared/logger.ts';
import { readNotifierProcessConfig } from './notifier-config.ts';
import { startNotifier } from './notifier-service.ts';

const HELP = `usage: platestream notifier

Reads the alerts stream (consumer group "notifier") and POSTs every alert to its webhook through BullMQ,
retrying with exponential backoff and jitter for NOTIFIER_RETRY_HOURS. Runs until SIGTERM/SIGINT.

Environment: REDIS_URL, LPR_PREFIX, NOTIFIER_SECRET (required, >= 16 chars), LPR_WEBHOOK_URL (default
receiver), NOTIFIER_RETRY_HOURS (24), NOTIFIER_BACKOFF_BASE_MS (1000), NOTIFIER_BACKOFF_MAX_MS (900000),
NOTIFIER_REQUEST_TIMEOUT_MS (10000), NOTIFIER_CONCURRENCY (8), NOTIFIER_CONSUMER (host-pid),
NOTIFIER_CLAIM_IDLE_MS (60000), NOTIFIER_BLOCK_MS (5000), NOTIFIER_LOCK_MS (30000),
NOTIFIER_KEEP_COMPLETED_MS (7 days), LOG_LEVEL, LOG_PLATES. See docs/alerts.md.
`;

export const summary = 'deliver watchlist alerts to webhooks (BullMQ, retries for hours)';

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values } = parseCommandArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const config = readNotifierProcessConfig(new EnvReader(io.env));
  configureRootLogger(config.log);
  const service = await startNotifier(config, { signals: true });
  await service.closed;
  return 0;
}
