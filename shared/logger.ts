import { createRequire } from 'node:module';
import { type DestinationStream, destination, type Logger as PinoLogger, pino, stdSerializers } from 'pino';
import { EnvReader } from './config/env-reader.ts';
import { type LogFormat, readLogConfig } from './config/logger-config.ts';
import { redactUrl } from './redact-url.ts';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: string;
  /** Plates are personal data: unless true, plate text in log objects is replaced by "[plate]". */
  logPlates: boolean;
  /** Module name of the root logger. */
  name: string;
  /** `json`, `pretty`, or `auto` (pretty when stderr is a terminal). Ignored when a destination is given. */
  format: LogFormat;
}

export const LOGGER_DEFAULTS: LoggerOptions = {
  level: 'info',
  logPlates: false,
  name: 'platestream',
  format: 'auto',
};

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

/** True when lines to stderr should be pretty: LOG_FORMAT=pretty, or auto and stderr is a terminal. */
function wantsPretty(format: LogFormat): boolean {
  return format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
}

/**
 * Readable lines on stderr through pino-pretty, loaded here and only here: a process logging JSON never
 * loads it. Synchronous writes: a person is reading, and nothing is lost when the process exits.
 */
function prettyStream(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination: 2,
    sync: true,
    // colorette's check (NO_COLOR, FORCE_COLOR, TERM=dumb), and only on a terminal.
    colorize: pretty.isColorSupported && process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/** A logger writing JSON to `dest`, or (no `dest`) to stderr as JSON or, per `format`, pretty text. */
export function createLogger(opts: Partial<LoggerOptions> = {}, dest?: DestinationStream): Logger {
  const o = { ...LOGGER_DEFAULTS, ...opts };
  return pino(
    {
      name: o.name,
      level: o.level,
      redact: o.logPlates ? [] : { paths: PLATE_PATHS, censor: '[plate]' },
      // Credentials written into URLs (redis://user:pw@, webhooks, camera URLs) never reach a log line: in
      // messages, in error messages and stacks, and in string fields.
      serializers: { err: (e: Error) => scrubSerializedError(stdSerializers.err(e)) },
      formatters: { log: (obj: Record<string, unknown>) => scrubUrls(obj) },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)) as typeof args;
          return method.apply(this, clean);
        },
      },
    },
    dest ?? (wantsPretty(o.format) ? prettyStream() : destination({ dest: 2, sync: false })),
  );
}

/** Hides URL credentials in a serialized error (fresh object from the serializer): every string, causes too. */
function scrubSerializedError<T>(err: T, depth = 0): T {
  if (err === null || typeof err !== 'object' || depth > 4) return err;
  const o = err as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') o[k] = redactUrl(v);
    else if (v !== null && typeof v === 'object') o[k] = scrubSerializedError(v, depth + 1);
  }
  return err;
}

/** Copies `value` with credentials hidden in every string that holds a URL (nested objects, 4 levels). */
function scrubUrls<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (value.includes('://') ? redactUrl(value) : value) as T;
  if (depth > 4 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrubUrls(v, depth + 1)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const clean = scrubUrls(v, depth + 1);
    if (clean !== v) {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = clean;
    }
  }
  return (out ?? value) as T;
}

let root: Logger | undefined;

/**
 * The process-wide root logger; configure once at start-up with `configureRootLogger`. Unconfigured
 * (one-shot commands), it reads LOG_LEVEL, LOG_PLATES and LOG_FORMAT with the same parser, leniently.
 */
export function rootLogger(): Logger {
  root ??= createLogger(readLogConfig(new EnvReader()));
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
