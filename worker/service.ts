import type { Server } from 'node:http';
import { handleSignals, once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import type { Recognizer } from '../shared/recognizer.ts';
import { createRedis } from '../shared/redis/connection.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { createEnricher } from '../watchlist/index.ts';
import type { WorkerConfig } from './config.ts';
import { closeServer, listenOrExplain } from '../shared/http/listener.ts';
import { createWorkerHttpServer } from './http-server.ts';
import { WorkerMetrics } from './metrics.ts';
import { createRecognizer } from './recognizers.ts';
import { TrackGate } from './track-gate.ts';
import { StaticGate, skipsAnyCamera, staticSettingsLookup } from './static-gate.ts';
import { watchlistEnrichHook } from './watchlist-hook.ts';
import { Worker } from './worker.ts';

export interface WorkerServiceOptions {
  logger?: Logger;
  /** Install SIGTERM/SIGINT handling: close() under WORKER_SHUTDOWN_TIMEOUT_MS, then exit (the CLI). */
  signals?: boolean;
  /** The recogniser to run (tests); default: the one LPR_RECOGNIZER names, with config.recognizer. */
  recognizer?: Recognizer;
}

export interface WorkerService {
  worker: Worker;
  /** Port of /metrics, /healthz, /readyz (the one bound with WORKER_HTTP_PORT=auto); undefined when 0. */
  httpPort: number | undefined;
  /** Stops reading, completes frames in flight, closes the watchlist and the listener. Idempotent. */
  close(): Promise<void>;
  /** Resolves once close() has finished. */
  closed: Promise<void>;
}

/**
 * Starts one worker process's parts in order — watchlist lookup (when DATABASE_URL is set), recogniser,
 * worker, HTTP listener — and gives it one shutdown path (like startIngest). With `signals`, SIGTERM during
 * start-up (models loading) is handled too.
 */
export async function startWorker(
  config: WorkerConfig,
  opts: WorkerServiceOptions = {},
): Promise<WorkerService> {
  const log = opts.logger ?? moduleLogger('worker');
  const o = config.worker;
  const metrics = new WorkerMetrics({ defaultMetrics: opts.signals === true });
  // Without DATABASE_URL this is undefined and enrichment is off.
  const lookup = await createEnricher({
    redis: config.redis,
    watchlist: config.watchlist,
    logger: moduleLogger('watchlist'),
    registry: metrics.registry,
  });
  let recognizer: Recognizer;
  try {
    recognizer = opts.recognizer ?? (await createRecognizer(o.recognizer, config.recognizer));
  } catch (err) {
    await lookup?.close();
    throw err;
  }
  if (o.trackRegion) {
    recognizer = new TrackGate(recognizer, {
      redis: createRedis(config.redis, 'consumer', { name: `${o.consumer}:track`, logger: log }),
      ownsRedis: true,
      keys: partitionsOf(config.redis),
      options: o,
      logger: moduleLogger('track-gate'),
    });
  }
  if (skipsAnyCamera(o)) {
    recognizer = new StaticGate(recognizer, {
      redis: createRedis(config.redis, 'consumer', { name: `${o.consumer}:static`, logger: log }),
      ownsRedis: true,
      keys: partitionsOf(config.redis),
      settingsFor: staticSettingsLookup(o, config.recognizer?.cameraRoi),
      logger: moduleLogger('static-gate'),
    });
  }
  const worker = new Worker({
    redis: config.redis,
    options: o,
    recognizer,
    logger: log,
    metrics,
    enrichHook: lookup ? watchlistEnrichHook(lookup, config.alerts) : undefined,
  });
  const http: Server | undefined = o.httpPort !== 0 ? createWorkerHttpServer(worker, log) : undefined;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    try {
      await runAll(
        [
          ['worker', () => worker.close()],
          ['watchlist', () => lookup?.close()],
          ['http listener', () => (http ? closeServer(http) : undefined)],
        ],
        log,
      );
    } finally {
      resolveClosed();
    }
  });
  if (opts.signals) handleSignals(close, { timeoutMs: o.shutdownTimeoutMs, logger: log });
  let httpPort: number | undefined;
  try {
    if (http) {
      httpPort = await listenOrExplain(http, o.httpPort, o.httpHost, {
        variable: 'WORKER_HTTP_PORT',
        what: '/metrics',
        auto: true,
      });
      log.info(
        { port: httpPort, host: o.httpHost, auto: o.httpPort === 'auto' },
        'metrics and health listener up (/metrics, /healthz, /readyz)',
      );
    }
    await worker.start();
  } catch (err) {
    await close();
    throw err;
  }
  return { worker, httpPort, close, closed };
}
