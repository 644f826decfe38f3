import { main } from './commands.ts';

const code = await main(process.argv.slice(2));
// Long-running commands (ingest, worker, notifier) resolve only when they have shut down.
process.exitCode = code;
