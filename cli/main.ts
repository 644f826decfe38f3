import { flushLogs } from '../shared/logger.ts';
import { main } from './commands.ts';

const code = await main(process.argv.slice(2));
// Long-running commands (ingest, worker, notifier) resolve only when they have shut down.
process.exitCode = code;
if (code !== 0) {
  // A command that failed (a fatal start-up error) must end even when something it opened still holds the
  // event loop (a half-started service's connections): give output a moment to flush, then exit.
  await flushLogs().catch(() => undefined);
  setTimeout(() => process.exit(code), 500).unref();
}
