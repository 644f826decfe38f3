/** Dispatch of `platestream <command>`: the command table, the help listing and the exit-code mapping. */
import { type CliIO, type CommandModule, EXIT, processIO, reportCommandError } from '../shared/cli/index.ts';

/** Every command, loaded on demand; each module exports `summary` and `run(argv, io)`. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  ingest: () => import('../ingest/cli.ts'),
  replay: () => import('../ingest/replay-cli.ts'),
  capture: () => import('../capture/cli.ts'),
  worker: () => import('../worker/cli.ts'),
  stats: () => import('../worker/stats-cli.ts'),
  dlq: () => import('../worker/dlq-cli.ts'),
  partitions: () => import('../worker/partitions-cli.ts'),
  results: () => import('../results/cli.ts'),
  annotate: () => import('../results/annotate-cli.ts'),
  models: () => import('../models/cli.ts'),
  synth: () => import('../models/synthetic/cli.ts'),
  db: () => import('../watchlist/db-cli.ts'),
  watchlist: () => import('../watchlist/cli.ts'),
  notifier: () => import('../alerts/notifier-cli.ts'),
  alerts: () => import('../alerts/cli.ts'),
  events: () => import('../events/cli.ts'),
  web: () => import('../web/cli.ts'),
  privacy: () => import('../privacy/cli.ts'),
  erase: () => import('../privacy/erase-cli.ts'),
  audit: () => import('../privacy/audit-cli.ts'),
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** The command list with each command's own `summary`. */
async function usage(): Promise<string> {
  const rows = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(10)} ${(await load()).summary}`),
  );
  return `usage: platestream <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun "platestream <command> --help" for a command's options.`;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${await usage()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(
      `platestream: [USAGE] unknown command "${name}"; the commands are ${COMMAND_NAMES.join(', ')} (see "platestream --help")\n`,
    );
    return EXIT.usage;
  }
  try {
    return await (await load()).run(rest, io);
  } catch (err) {
    return reportCommandError(io, name, err);
  }
}
