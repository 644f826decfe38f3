import { handleSignals, once } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { Notifier } from './notifier.ts';
import type { NotifierProcessConfig } from './notifier-config.ts';

export interface NotifierService {
  notifier: Notifier;
  /** Stops reading, lets in-flight POSTs finish, closes every connection. Idempotent. */
  close(): Promise<void>;
  /** Resolves once close() has finished. */
  closed: Promise<void>;
}

/**
 * Starts the notifier process (like startIngest and startWorker): one start, one shutdown path. With
 * `signals` (the CLI), SIGTERM/SIGINT run close() under NOTIFIER_REQUEST_TIMEOUT_MS + 10 s, then exit.
 */
export async function startNotifier(
  config: NotifierProcessConfig,
  opts: { logger?: Logger; signals?: boolean } = {},
): Promise<NotifierService> {
  const logger = opts.logger ?? moduleLogger('notifier');
  const notifier = new Notifier(config.redis, config.notifier, logger);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    try {
      await notifier.close();
    } finally {
      resolveClosed();
    }
  });
  try {
    await notifier.start();
  } catch (err) {
    await close();
    throw err;
  }
  if (opts.signals) {
    handleSignals(close, { timeoutMs: config.notifier.requestTimeoutMs + 10_000, logger });
  }
  return { notifier, close, closed };
}
