import { isPlatestreamError, PlatestreamError } from '../errors.ts';
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
  if (isPlatestreamError(err, 'CONFIG_INVALID')) return EXIT.config;
  return EXIT.failure;
}

/** Prints an error thrown out of `platestream <command>` and returns its exit code. */
export function reportCommandError(io: CliIO, command: string, err: unknown): number {
  if (isPlatestreamError(err, 'USAGE') || isParseArgsError(err)) {
    io.stderr.write(`platestream ${command}: ${err.message}\n(see "platestream ${command} --help")\n`);
  } else if (isPlatestreamError(err)) {
    io.stderr.write(`platestream ${command}: [${err.code}] ${err.message}\n`);
  } else {
    io.stderr.write(
      `platestream ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  return exitCodeFor(err);
}

/** util.parseArgs complaints (unknown option, missing value) from commands that call it directly. */
function isParseArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}
