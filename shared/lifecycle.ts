import { flushLogs, type Logger } from './logger.ts';

export interface ShutdownOptions {
  /** Hard limit for the whole shutdown; past it the process exits with code 1. */
  timeoutMs: number;
  logger: Logger;
  /** Exit the process when done (false in tests). */
  exit?: boolean;
}

/**
 * SIGTERM/SIGINT → `close()` (stop accepting, finish in-flight work, close connections) → flush logs →
 * exit 0, under a hard timeout. A second signal exits at once with 130.
 * Returns a function that removes the handlers.
 */
export function handleSignals(close: (signal: string) => Promise<void>, opts: ShutdownOptions): () => void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      opts.logger.warn(
        { signal },
        'second signal: exiting now; unfinished frames will be reclaimed by others',
      );
      process.exit(130);
    }
    closing = true;
    opts.logger.info({ signal, timeoutMs: opts.timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      opts.logger.error({ timeoutMs: opts.timeoutMs }, 'shutdown timed out; exiting');
      void flushLogs(opts.logger).finally(() => process.exit(1));
    }, opts.timeoutMs);
    timer.unref();
    close(signal)
      .then(
        () => 0,
        (err: unknown) => {
          opts.logger.error({ err }, 'error during shutdown');
          return 1;
        },
      )
      .then(async (code) => {
        clearTimeout(timer);
        await flushLogs(opts.logger);
        if (opts.exit !== false) process.exit(code);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

/**
 * Makes `close()` idempotent: the first call runs `fn`, later calls get the same promise.
 */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** Runs every cleanup step even when one fails; rethrows the first failure at the end. */
export async function runAll(
  steps: Array<[string, () => Promise<unknown> | unknown]>,
  logger?: Logger,
): Promise<void> {
  let first: unknown;
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      logger?.warn({ err, step: name }, 'cleanup step failed');
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}
