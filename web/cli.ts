import { type CliIO, parseCommandArgs, processIO } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { configureRootLogger, moduleLogger } from '../shared/logger.ts';
import { readWebConfig } from './config.ts';
import { startWeb } from './service.ts';

export const summary = 'web console and results API: search, live feed (SSE), watchlist, pipeline health';

const HELP = `usage: platestream web [--port N] [--host ADDR]

Serves the JSON API, the live feed and the page (open http://HOST:PORT/ and log in with a token).
  GET  /v1/events /v1/results /v1/alerts (+ .csv)   search, newest first, cursor pagination
  GET  /v1/plates/{plate}   GET /v1/frames/{id}/image|annotated   GET /v1/live (Server-Sent Events)
  GET|POST /v1/watchlist, DELETE /v1/watchlist/{plate}, POST /v1/watchlist/import (admin writes)
  GET  /v1/stats   GET /v1/dlq   POST /v1/dlq/{id}/requeue (admin)
  GET  /healthz /readyz /metrics /openapi.json

Options override the matching environment variables:
  --port N        LPR_WEB_PORT (default 8090)
  --host ADDR     LPR_WEB_HOST (default 0.0.0.0)

Environment: REDIS_URL, LPR_PREFIX, LPR_WEB_TOKENS ("viewer-token=viewer;admin-token=admin"),
LPR_WEB_AUTH (tokens|open), LPR_WEB_HEARTBEAT_MS, LPR_WEB_CLIENT_BUFFER, LPR_WEB_MAX_CLIENTS,
LPR_WEB_MAX_SCAN, DATABASE_URL (watchlist), LPR_SHUTDOWN_TIMEOUT_MS, LPR_LOG_REQUESTS, LOG_LEVEL, LOG_PLATES.
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
  if (values.port !== undefined) env.LPR_WEB_PORT = values.port;
  if (values.host !== undefined) env.LPR_WEB_HOST = values.host;
  const config = readWebConfig(new EnvReader(env));
  configureRootLogger(config.log);
  const service = await startWeb(config, { logger: moduleLogger('web'), signals: true });
  await service.closed;
  return 0;
}
