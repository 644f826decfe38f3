import cluster from 'node:cluster';
import { type CliIO, parseCommandArgs, processIO } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { configureRootLogger, moduleLogger } from '../shared/logger.ts';
import { runClusterWorker, runPrimary } from './cluster.ts';
import { readIngestConfig } from './config.ts';
import { startIngest } from './service.ts';

export const summary = 'HTTP service that accepts camera frames';

const HELP = `usage: platestream ingest [--port N] [--host ADDR]

Accepts camera frames over HTTP and writes them to the frames Redis stream.
  POST /v1/cameras/{camera}/frames   raw image body or multipart/form-data (see docs/ingest.md)
  GET  /healthz /readyz /metrics /openapi.json

Options override the matching environment variables:
  --port N        LPR_INGEST_PORT (default 8080)
  --host ADDR     LPR_INGEST_HOST (default 0.0.0.0)

Environment: REDIS_URL, LPR_PREFIX, LPR_AUTH (tokens|open), LPR_CAMERA_TOKENS, LPR_CAMERA_TOKENS_FILE,
LPR_INGEST_BODY_LIMIT, LPR_INGEST_MAX_PIXELS, LPR_BACKPRESSURE_POLICY (reject|drop-oldest), LPR_MAX_BACKLOG,
LPR_STREAM_MEMORY_BUDGET, LPR_RETRY_AFTER_S, LPR_BACKPRESSURE_CHECK_MS, LPR_SHUTDOWN_TIMEOUT_MS,
LPR_LOG_REQUESTS, LPR_INGEST_PROCESSES (server processes sharing the port, default 1), LOG_LEVEL, LOG_PLATES.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const env = { ...io.env };
  if (values.port !== undefined) env.LPR_INGEST_PORT = values.port;
  if (values.host !== undefined) env.LPR_INGEST_HOST = values.host;
  const config = readIngestConfig(new EnvReader(env));
  configureRootLogger(config.log);
  const logger = moduleLogger('ingest');
  if (config.processes > 1) {
    return cluster.isPrimary ? runPrimary(config, logger) : runClusterWorker(config, logger);
  }
  const service = await startIngest(config, { logger, signals: true });
  await service.closed;
  return 0;
}
