import { type DestinationStream, destination, type Logger as PinoLogger, pino, stdSerializers } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: string;
  /** Plates are personal data: unless true, plate text in log objects is replaced by "[plate]". */
  logPlates: boolean;
  /** Module name of the root logger. */
  name: string;
}

export const LOGGER_DEFAULTS: LoggerOptions = { level: 'info', logPlates: false, name: 'platestream' };

/** Every log field that may hold plate text. Keep in sync with what results and alerts carry. */
export const PLATE_PATHS = [
  'plate',
  'plates',
  'text',
  '*.plate',
  '*.plates',
  '*.text',
  'result.plate',
  'result.plates',
  'candidates',
  '*.candidates',
];

export function createLogger(opts: Partial<LoggerOptions> = {}, dest?: DestinationStream): Logger {
  const o = { ...LOGGER_DEFAULTS, ...opts };
  return pino(
    {
      name: o.name,
      level: o.level,
      redact: o.logPlates ? [] : { paths: PLATE_PATHS, censor: '[plate]' },
      serializers: { err: stdSerializers.err },
    },
    dest ?? destination({ dest: 2, sync: false }),
  );
}

let root: Logger | undefined;

/** The process-wide root logger; configure once at start-up with `configureRootLogger`. */
export function rootLogger(): Logger {
  root ??= createLogger({
    level: process.env.LOG_LEVEL ?? 'info',
    logPlates: process.env.LOG_PLATES === 'true',
  });
  return root;
}

export function configureRootLogger(opts: Partial<LoggerOptions>, dest?: DestinationStream): Logger {
  root = createLogger(opts, dest);
  return root;
}

/** Child logger for one module: `moduleLogger('ingest')`. */
export function moduleLogger(module: string, parent: Logger = rootLogger()): Logger {
  return parent.child({ module });
}

/** Flushes buffered log lines; call last during shutdown. */
export function flushLogs(logger: Logger = rootLogger()): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush((err) => {
        void err;
        resolve();
      });
    } catch {
      resolve();
    }
  });
}
