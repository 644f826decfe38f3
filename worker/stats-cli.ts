import {
  type CliIO,
  numberOption,
  openOperatorRedis,
  parseCommandArgs,
  processIO,
} from '../shared/cli/index.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { delay } from '../shared/util/wait.ts';
import { collectStats, formatStats } from './stats.ts';

export const summary = 'stream, group, consumer and DLQ statistics';

const HELP = `usage: platestream stats [--json] [--watch] [--interval SECONDS]

Shows the frames stream (length, memory), consumer groups (lag, pending), the workers' consumers (pending,
idle time), the results stream with frames/s over the last minute, the DLQ size, the counters, and the
events stage (its groups on the results stream with lag and pending, open passes, lease holder, events
written, late results, dropped passes).
Uses REDIS_URL and LPR_PREFIX.

  --json            one JSON object (with --watch: one per line)
  --watch           refresh until interrupted (Ctrl-C)
  --interval N      seconds between refreshes with --watch (default 2)
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      interval: { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const intervalS = numberOption('interval', values.interval, { min: 0.1 })!;
  const { redis, parts: keys } = await openOperatorRedis(io.env, { name: 'stats' });
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  if (values.watch) process.once('SIGINT', onSigint);
  try {
    do {
      const stats = await collectStats(redis, keys);
      if (values.json) io.stdout.write(`${JSON.stringify(stats)}\n`);
      else io.stdout.write(`${values.watch ? '\x1b[2J\x1b[H' : ''}${formatStats(stats)}`);
      if (values.watch) await delay(intervalS * 1000, stop.signal);
    } while (values.watch && !stop.signal.aborted);
  } finally {
    process.off('SIGINT', onSigint);
    await closeRedis(redis);
  }
  return 0;
}
