import { type CliIO, parseCommandArgs, processIO } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { configureRootLogger } from '../shared/logger.ts';
import type { Recognizer } from '../shared/recognizer.ts';
import { readWorkerConfig } from './config.ts';
import { startWorker } from './service.ts';

export const summary = 'consumer-group worker: recognise plates, write results';

const HELP = `usage: platestream worker

Runs one consumer of the "workers" group on <LPR_PREFIX>:frames until SIGTERM/SIGINT (graceful: stops
reading, completes frames in flight, exits 0; a second signal exits at once).

Configuration (environment; defaults in parentheses):
  REDIS_URL (redis://127.0.0.1:6379)   LPR_PREFIX (lpr)
  LPR_RECOGNIZER (onnx)                onnx | noop (benchmarks: finds nothing)
  WORKER_CONSUMER (<hostname>-<pid>)   WORKER_READ_COUNT (16)
  WORKER_CONCURRENCY (4, at least 2 x LPR_RECOGNIZER_THREADS)
  WORKER_BLOCK_MS (2000)               WORKER_WATCHDOG_MARGIN_MS (3000)
  WORKER_PROCESSING_TIMEOUT_MS (10000) WORKER_CLAIM_IDLE_MS (30000, >= 2 x processing timeout)
  WORKER_CLAIM_INTERVAL_MS (5000)      WORKER_MAX_DELIVERIES (5)
  RESULTS_RETENTION (maxlen|minid)     RESULTS_MAXLEN (1000000)     RESULTS_RETENTION_MS (86400000)
  DLQ_MAXLEN (100000, 0 = unbounded)   DLQ_MAX_BYTES (256MB)        ALERTS_MAXLEN (100000)
  WORKER_HOUSEKEEPING_INTERVAL_MS (5000) WORKER_LOCK_TTL_MS (15000) WORKER_CONSUMER_IDLE_MS (3600000)
  WORKER_HTTP_PORT (9464, 0 = off, auto = any free port)  WORKER_HTTP_HOST (0.0.0.0)
  WORKER_SHUTDOWN_TIMEOUT_MS (30000)
  LOG_LEVEL (info)                     LOG_PLATES (false)
  DATABASE_URL (unset = no watchlist)  ALERT_WINDOW_MS (60000)      WATCHLIST_* (see docs/watchlist.md)
  LPR_RECOGNIZER_THREADS (cores, at most 8; 1 = no recogniser threads)   LPR_THREADS (1 per thread)
  LPR_MODEL_DIR, LPR_READER, ... (recognition, see docs/models.md)
See docs/worker.md.
`;

export function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  return runWorker(argv, io);
}

/**
 * `platestream worker`: one environment pass, then startWorker with signal handling; resolves (0) once the
 * worker has shut down. `recognizer` replaces the configured one (the test entry worker/test/worker-main.ts).
 */
export async function runWorker(
  argv: string[],
  io: CliIO,
  opts: { recognizer?: Recognizer } = {},
): Promise<number> {
  const { values } = parseCommandArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const config = readWorkerConfig(new EnvReader(io.env), io.env);
  configureRootLogger(config.log);
  const service = await startWorker(config, { signals: true, recognizer: opts.recognizer });
  await service.closed;
  return 0;
}
