import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './exit.ts';

/**
 * `util.parseArgs` (strict) whose complaints (unknown option, missing value, unexpected positional) are usage
 * errors (exit 2) instead of crashes with a stack trace.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_'))
      throw usageError(err.message);
    throw err;
  }
}

/**
 * `--from -10m` would read as an unknown option: glue a value that starts with "-<digit>" to its option
 * (`--from=-10m`) for the options named.
 */
export function glueNegativeValues(argv: readonly string[], options: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (options.includes(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** A whole number option within [min, max]; undefined stays undefined. Throws a usage error naming it. */
export function intOption(
  name: string,
  value: string | undefined,
  range: { min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    const bounds = range.max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
    throw usageError(`--${name} "${value}" must be a whole number ${bounds}`);
  }
  return n;
}

/** A number option within [min, max]; undefined stays undefined. Throws a usage error naming it. */
export function numberOption(
  name: string,
  value: string | undefined,
  range: { min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const min = range.min ?? Number.NEGATIVE_INFINITY;
  const max = range.max ?? Number.POSITIVE_INFINITY;
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    const bounds = range.max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
    throw usageError(`--${name} "${value}" must be a number ${bounds}`);
  }
  return n;
}
