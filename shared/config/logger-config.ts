import type { EnvReader } from './env-reader.ts';

/** Log settings of a process, read in its one environment pass (LOG_LEVEL, LOG_PLATES). */
export interface LogOptions {
  /** pino level (LOG_LEVEL). */
  level: string;
  /** Show plate text in logs instead of "[plate]" (LOG_PLATES); plates are personal data. */
  logPlates: boolean;
}

export const LOG_DEFAULTS: Readonly<LogOptions> = Object.freeze({ level: 'info', logPlates: false });

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function readLogConfig(r: EnvReader): LogOptions {
  return {
    level: r.oneOf('LOG_LEVEL', 'info', LEVELS),
    logPlates: r.bool('LOG_PLATES', LOG_DEFAULTS.logPlates),
  };
}
