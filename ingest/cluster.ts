import cluster, { type Worker } from 'node:cluster';
import { flushLogs, type Logger } from '../shared/logger.ts';
import type { IngestConfig } from './config.ts';
import { startIngest } from './service.ts';

/** IPC message the primary sends to ask a server process to shut down gracefully. */
const SHUTDOWN = 'platestream:shutdown';

/**
 * Runs `processes` ingest server processes sharing one port (node:cluster). The primary only supervises:
 * it replaces a process that dies, and on SIGTERM/SIGINT asks every process to shut down gracefully
 * (stop accepting, finish in-flight requests, close Redis) and exits 0 when all did, 1 past the hard timeout.
 * Each process keeps its own /metrics.
 */
export function runPrimary(config: IngestConfig, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const crashes: number[] = [];
    const fork = () => cluster.fork();
    const finish = (code: number) => {
      void flushLogs(logger).then(() => resolve(code));
    };
    // A process can only take the shutdown message once it is serving; ones still starting get it then.
    const serving = new Set<number>();
    cluster.on('listening', (worker: Worker) => {
      serving.add(worker.id);
      if (stopping) worker.send(SHUTDOWN);
    });
    cluster.on('exit', (worker: Worker, code, signal) => {
      serving.delete(worker.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) finish(0);
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'ingest process died; starting a new one');
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && crashes[0]! < now - 10_000) crashes.shift();
      if (crashes.length > 5) {
        logger.error('ingest processes keep dying (more than 5 in 10 s); giving up');
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGKILL');
        finish(1);
        return;
      }
      fork();
    });
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: stopping ingest processes now');
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGKILL');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal, processes: config.processes }, 'shutting down ingest processes');
      for (const w of Object.values(cluster.workers ?? {})) if (w && serving.has(w.id)) w.send(SHUTDOWN);
      const timer = setTimeout(() => {
        logger.error(
          { timeoutMs: config.shutdownTimeoutMs },
          'ingest processes did not stop in time; killing them',
        );
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGKILL');
        finish(1);
      }, config.shutdownTimeoutMs + 1000);
      timer.unref();
      if (Object.keys(cluster.workers ?? {}).length === 0) finish(0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    logger.info({ processes: config.processes, port: config.port }, 'starting ingest processes');
    for (let i = 0; i < config.processes; i++) fork();
  });
}

/** One server process of the cluster: serves until the primary (or a signal) asks it to stop. */
export async function runClusterWorker(config: IngestConfig, logger: Logger): Promise<number> {
  let stop: (() => void) | undefined;
  let stopRequested = false;
  // Listen before starting: the primary may ask for a shutdown while this process is still starting.
  process.on('message', (msg) => {
    if (msg !== SHUTDOWN) return;
    stopRequested = true;
    const timer = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
    timer.unref();
    stop?.();
  });
  const service = await startIngest(config, { logger, signals: true });
  stop = () => {
    void service
      .close()
      .then(
        () => 0,
        () => 1,
      )
      .then(async (code) => {
        await flushLogs(logger);
        process.exit(code);
      });
  };
  if (stopRequested) stop();
  await service.closed;
  return 0;
}
