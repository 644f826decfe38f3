/**
 * The command-line kit every `platestream <command>` uses.
 *
 * A command module exports `summary` (one line, shown by `platestream --help`) and
 * `run(argv, io = processIO())` resolving to its exit code; its help text is a `HELP` constant printed on
 * `--help` (exit 0). Arguments are parsed with `parseCommandArgs` (strict; complaints become usage errors);
 * a wrong argument throws `usageError(...)` → exit 2 (EXIT.usage) with the message; bad environment →
 * CONFIG_INVALID → exit 78; other failures → 1. cli/main.ts prints thrown errors (`reportCommandError`).
 * Output goes to `io.stdout` / `io.stderr` and configuration comes from `io.env`, so tests call `run`
 * with their own I/O. `openRedis` / `openOperatorRedis` open a connection and wait until it is ready.
 */
export { glueNegativeValues, intOption, numberOption, parseCommandArgs } from './args.ts';
export { EXIT, exitCodeFor, reportCommandError, usageError } from './exit.ts';
export { type CliIO, lines, processIO } from './io.ts';
export { openOperatorRedis, openRedis } from './open-redis.ts';

import type { CliIO } from './io.ts';

/** What cli/main.ts loads for each command. */
export interface CommandModule {
  /** One line for `platestream --help`. */
  summary: string;
  run(argv: string[], io?: CliIO): Promise<number>;
}
