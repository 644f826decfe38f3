import { parseArgs } from 'node:util';
import { readAlertConfig } from '../alerts/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { handleSignals } from '../shared/lifecycle.ts';
import { moduleLogger } from '../shared/logger.ts';
import { createEnricher, readWatchlistConfig } from '../watchlist/index.ts';
import { readWorkerConfig } from './config.ts';
import { closeServer, createWorkerHttpServer, listen } from './http-server.ts';
import { WorkerMetrics } from './metrics.ts';
import { createRecognizer } from './recognizers.ts';
import { watchlistEnrichHook } from './watchlist-hook.ts';
import { Worker } from './worker.ts';

export const summary = 'consumer-group worker: recognise plates, write results';

const HELP = `usage: platestream worker

Runs one consumer of the "workers" group on <LPR_PREFIX>:frames until SIGTERM/SIGINT (graceful: stops
reading, completes frames in flight, exits 0; a second signal exits at once).

Configuration (environment; defaults in parentheses):
  REDIS_URL (redis://127.0.0.1:6379)   LPR_PREFIX (lpr)
  LPR_RECOGNIZER (onnx)                onnx | noop (benchmarks) | test (test suites only)
  WORKER_CONSUMER (<hostname>-<pid>)   WORKER_CONCURRENCY (4)       WORKER_READ_COUNT (16)
  WORKER_BLOCK_MS (2000)               WORKER_WATCHDOG_MARGIN_MS (3000)
  WORKER_PROCESSING_TIMEOUT_MS (10000) WORKER_CLAIM_IDLE_MS (30000, >= 2 x processing timeout)
  WORKER_CLAIM_INTERVAL_MS (5000)      WORKER_MAX_DELIVERIES (5)
  RESULTS_RETENTION (maxlen|minid)     RESULTS_MAXLEN (1000000)     RESULTS_RETENTION_MS (86400000)
  DLQ_MAXLEN (100000, 0 = unbounded)   ALERTS_MAXLEN (100000)
  WORKER_HOUSEKEEPING_INTERVAL_MS (5000) WORKER_LOCK_TTL_MS (15000) WORKER_CONSUMER_IDLE_MS (3600000)
  WORKER_HTTP_PORT (9464, 0 = off)     WORKER_HTTP_HOST (0.0.0.0)   WORKER_SHUTDOWN_TIMEOUT_MS (30000)
  LOG_LEVEL (info)                     LOG_PLATES (false)
  DATABASE_URL (unset = no watchlist)  ALERT_WINDOW_MS (60000)      WATCHLIST_* (see docs/watchlist.md)
See docs/worker.md.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = new EnvReader(process.env);
  // Read before readWorkerConfig finishes the reader, so every bad variable is reported together.
  const watchlist = readWatchlistConfig(env);
  const alerts = readAlertConfig(env);
  const config = readWorkerConfig(env);
  const log = moduleLogger('worker');
  const metrics = new WorkerMetrics({ defaultMetrics: true });
  // Without DATABASE_URL this is undefined and enrichment is off.
  const lookup = await createEnricher({
    redis: config.redis,
    watchlist,
    logger: moduleLogger('watchlist'),
    registry: metrics.registry,
  });
  let recognizer: Awaited<ReturnType<typeof createRecognizer>>;
  try {
    recognizer = await createRecognizer(config.worker.recognizer, process.env);
  } catch (err) {
    await lookup?.close();
    throw err;
  }
  const worker = new Worker({
    redis: config.redis,
    options: config.worker,
    recognizer,
    logger: log,
    metrics,
    enrichHook: lookup ? watchlistEnrichHook(lookup, alerts) : undefined,
  });
  const http = config.worker.httpPort > 0 ? createWorkerHttpServer(worker, log) : undefined;

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  const close = async () => {
    try {
      await worker.close();
    } finally {
      await lookup?.close();
      if (http) await closeServer(http);
      resolveDone(0);
    }
  };
  handleSignals(close, { timeoutMs: config.worker.shutdownTimeoutMs, logger: log });
  if (http) {
    const port = await listen(http, config.worker.httpPort, config.worker.httpHost);
    log.info({ port }, 'metrics and health listener up (/metrics, /healthz, /readyz)');
  }
  try {
    await worker.start();
  } catch (err) {
    await worker.close();
    await lookup?.close();
    if (http) await closeServer(http);
    throw err;
  }
  return done;
}
