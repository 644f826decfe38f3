import { isPlatestreamError } from '../shared/errors.ts';

/** Each subcommand module exports `run(argv)` and resolves to the exit code. */
export type CommandModule = { run(argv: string[]): Promise<number>; summary?: string };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  ingest: { summary: 'HTTP service that accepts camera frames', load: () => import('../ingest/cli.ts') },
  replay: {
    summary: 'push a folder of images or a video into the pipeline',
    load: () => import('../ingest/replay-cli.ts'),
  },
  worker: {
    summary: 'consumer-group worker: recognise plates, write results',
    load: () => import('../worker/cli.ts'),
  },
  stats: {
    summary: 'stream, group, consumer and DLQ statistics',
    load: () => import('../worker/stats-cli.ts'),
  },
  dlq: {
    summary: 'list, show, requeue or purge dead-lettered frames',
    load: () => import('../worker/dlq-cli.ts'),
  },
  results: {
    summary: 'follow results live or look up recent sightings of a plate',
    load: () => import('../results/cli.ts'),
  },
  annotate: {
    summary: 'draw plate boxes and text onto frames',
    load: () => import('../results/annotate-cli.ts'),
  },
  models: { summary: 'list or pull recognition models', load: () => import('../models/cli.ts') },
  synth: {
    summary: 'write synthetic plate photos with ground truth',
    load: () => import('../models/synthetic/cli.ts'),
  },
  db: { summary: 'PostgreSQL schema: migrate or status', load: () => import('../watchlist/db-cli.ts') },
  watchlist: {
    summary: 'watchlist entries: add, remove, list, import <csv>',
    load: () => import('../watchlist/cli.ts'),
  },
  notifier: {
    summary: 'deliver watchlist alerts to webhooks (BullMQ)',
    load: () => import('../alerts/notifier-cli.ts'),
  },
  alerts: {
    summary: 'list or retry webhook deliveries of alerts',
    load: () => import('../alerts/cli.ts'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: platestream <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "platestream <command> --help" for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`platestream: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (err) {
    if (isPlatestreamError(err)) {
      process.stderr.write(`platestream ${name}: [${err.code}] ${err.message}\n`);
      return err.code === 'CONFIG_INVALID' ? 78 : 1;
    }
    process.stderr.write(
      `platestream ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Long-running commands (ingest, worker) resolve only when they have shut down.
process.exitCode = code;
