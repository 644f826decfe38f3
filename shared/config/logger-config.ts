import type { EnvReader } from './env-reader.ts';

/** How log lines are written: JSON for machines, readable text for people, or pretty on a terminal only. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** Log settings of a process, read in its one environment pass (LOG_LEVEL, LOG_PLATES, LOG_FORMAT). */
export interface LogOptions {
  /** pino level (LOG_LEVEL). */
  level: string;
  /** Show plate text in logs instead of "[plate]" (LOG_PLATES); plates are personal data. */
  logPlates: boolean;
  /** LOG_FORMAT: `json`, `pretty` (pino-pretty), or `auto` = pretty when stderr is a terminal, else JSON. */
  format: LogFormat;
}

export const LOG_DEFAULTS: Readonly<LogOptions> = Object.freeze({
  level: 'info',
  logPlates: false,
  format: 'auto',
});

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const FORMATS = ['auto', 'json', 'pretty'] as const;

export function readLogConfig(r: EnvReader): LogOptions {
  return {
    level: r.oneOf('LOG_LEVEL', 'info', LEVELS),
    logPlates: r.bool('LOG_PLATES', LOG_DEFAULTS.logPlates),
    format: r.oneOf('LOG_FORMAT', LOG_DEFAULTS.format, FORMATS),
  };
}
