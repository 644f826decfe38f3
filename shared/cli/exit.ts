import { isPlatestreamError, PlatestreamError } from '../errors.ts';
import { redisErrorCode } from '../redis/reply-error.ts';
import type { CliIO } from './io.ts';

/** Exit codes of every command. */
export const EXIT = {
  ok: 0,
  /** The command ran and something failed (a frame not found, a delivery that failed, ...). */
  failure: 1,
  /** Wrong arguments: the command says what is wrong (and `--help` shows how to call it). */
  usage: 2,
  /** Bad environment variables (EX_CONFIG from sysexits.h); the message lists every one. */
  config: 78,
} as const;

/** A wrong argument or option: the command exits 2 with this message. */
export function usageError(message: string): PlatestreamError {
  return new PlatestreamError('USAGE', message);
}

/** The exit code for an error thrown out of a command. */
export function exitCodeFor(err: unknown): number {
  if (isPlatestreamError(err, 'USAGE') || isParseArgsError(err)) return EXIT.usage;
  if (isPlatestreamError(err, 'CONFIG_INVALID') || isPlatestreamError(err, 'PARTITIONS_MISMATCH'))
    return EXIT.config;
  return EXIT.failure;
}

/**
 * Prints an error thrown out of `platestream <command>` as one line `platestream <command>: [CODE] what
 * happened; what to do` and returns its exit code. CONFIG_INVALID keeps its list (one line per bad
 * variable). A stack trace is printed only with LOG_LEVEL=debug or trace.
 */
export function reportCommandError(io: CliIO, command: string, err: unknown): number {
  const line = (code: string, message: string) =>
    io.stderr.write(`platestream ${command}: [${code}] ${oneLine(message)}\n`);
  if (isPlatestreamError(err, 'USAGE') || isParseArgsError(err)) {
    line('USAGE', `${err.message} (see "platestream ${command} --help")`);
  } else if (isPlatestreamError(err, 'CONFIG_INVALID')) {
    io.stderr.write(`platestream ${command}: [${err.code}] ${err.message}\n`);
  } else if (isPlatestreamError(err)) {
    line(err.code, err.message);
  } else if (redisErrorCode(err) !== undefined) {
    const cmd = (err as { command?: { name?: string } }).command?.name;
    line(
      'REDIS_REPLY',
      `Redis refused ${cmd ? cmd.toUpperCase() : 'a command'}: ${(err as Error).message}; check the arguments (ids, names) and that REDIS_URL names the right server`,
    );
  } else {
    const message = err instanceof Error ? err.message : String(err);
    line(
      'INTERNAL',
      `${message} (an unexpected error; run again with LOG_LEVEL=debug for the stack trace and report it)`,
    );
  }
  if (['debug', 'trace'].includes(String(io.env.LOG_LEVEL)) && err instanceof Error && err.stack)
    io.stderr.write(`${err.stack}\n`);
  return exitCodeFor(err);
}

/** Line breaks and runs of spaces folded: an error is one line. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** util.parseArgs complaints (unknown option, missing value) from commands that call it directly. */
function isParseArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}
