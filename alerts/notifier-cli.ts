import { parseArgs } from 'node:util';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { handleSignals } from '../shared/lifecycle.ts';
import { moduleLogger } from '../shared/logger.ts';
import { readNotifierConfig } from './notifier-config.ts';
import { Notifier } from './notifier.ts';

const USAGE = `usage: platestream notifier

Reads the alerts stream (consumer group "notifier") and POSTs every alert to its webhook through BullMQ,
retrying with exponential backoff and jitter for NOTIFIER_RETRY_HOURS. Runs until SIGTERM/SIGINT.

Environment: REDIS_URL, LPR_PREFIX, NOTIFIER_SECRET (required, >= 16 chars), LPR_WEBHOOK_URL (default
receiver), NOTIFIER_RETRY_HOURS (24), NOTIFIER_BACKOFF_BASE_MS (1000), NOTIFIER_BACKOFF_MAX_MS (900000),
NOTIFIER_REQUEST_TIMEOUT_MS (10000), NOTIFIER_CONCURRENCY (8), NOTIFIER_CONSUMER (host-pid),
NOTIFIER_CLAIM_IDLE_MS (60000), NOTIFIER_LOCK_MS (30000). See docs/watchlist.md.`;

export const summary = 'deliver watchlist alerts to webhooks (BullMQ, retries for hours)';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const r = new EnvReader();
  const redis = readRedisConfig(r);
  const config = readNotifierConfig(r);
  r.finish();
  const logger = moduleLogger('notifier');
  const notifier = new Notifier(redis, config, logger);
  await notifier.start();
  await new Promise<void>((resolve) => {
    handleSignals(
      async () => {
        await notifier.close();
        resolve();
      },
      { timeoutMs: config.requestTimeoutMs + 10_000, logger },
    );
  });
  return 0;
}
