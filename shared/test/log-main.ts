// TEST ONLY: a process that configures its root logger from its environment (LOG_LEVEL, LOG_PLATES,
// LOG_FORMAT) the way the commands do, writes one log line to stderr, and prints on stdout whether
// pino-pretty was loaded (logger.test.ts).
import { createRequire } from 'node:module';
import { EnvReader } from '../config/env-reader.ts';
import { readLogConfig } from '../config/logger-config.ts';
import { configureRootLogger, flushLogs, moduleLogger } from '../logger.ts';

const r = new EnvReader();
const log = readLogConfig(r);
r.finish();
configureRootLogger(log);
moduleLogger('probe').info({ plate: 'AB12CDE', frames: 3 }, 'probe line');
await flushLogs();
const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/pino-pretty/'));
process.stdout.write(`${JSON.stringify({ prettyLoaded: loaded })}\n`);
