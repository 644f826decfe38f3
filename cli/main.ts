import { main } from './commands.ts';

// `platestream stats --watch | head`: the reader went away. End quietly, like other Unix tools, instead of
// an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const code = await main(process.argv.slice(2));
// Long-running commands (ingest, worker, notifier) resolve only when they have shut down.
process.exitCode = code;
