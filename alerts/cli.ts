import type { JobType } from 'bullmq';
import {
  type CliIO,
  intOption,
  lines,
  openOperatorRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { isoTime } from '../shared/util/iso-time.ts';
import { webhookQueue } from './webhook-queue.ts';

const STATES = ['failed', 'waiting', 'delayed', 'active', 'completed'] as const;

const HELP = `usage:
  platestream alerts list [--state failed|waiting|delayed|active|completed|all] [--limit <n>] [--json]
  platestream alerts retry <alert id>... | --all

list shows webhook delivery jobs (default: failed ones, newest first); the job id is the alert's stream id.
retry puts failed jobs back in the queue with a fresh set of attempts.

Environment: REDIS_URL, LPR_PREFIX
`;

export const summary = 'list webhook deliveries (failed by default) and retry failed ones';

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { positionals, values } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      state: { type: 'string', default: 'failed' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
    },
  });
  const [sub, ...ids] = positionals;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!sub || !['list', 'retry'].includes(sub))
    throw usageError(sub ? `unknown subcommand "${sub}"` : 'a subcommand is needed: list or retry');
  const state = values.state!;
  if (state !== 'all' && !(STATES as readonly string[]).includes(state)) {
    throw usageError(`--state "${state}" is not one of ${STATES.join(', ')}, all`);
  }
  const limit = intOption('limit', values.limit, { min: 1 })!;
  if (sub === 'retry' && !values.all && ids.length === 0) throw usageError('retry needs alert ids or --all');

  // BullMQ needs a connection that queues while reconnecting (role consumer).
  const { redis, keys } = await openOperatorRedis(io.env, { name: 'alerts-cli', role: 'consumer' });
  const queue = webhookQueue(redis, keys);
  const out = lines(io.stdout);
  try {
    if (sub === 'list') {
      const types = (state === 'all' ? STATES : [state]) as JobType[];
      const jobs = await queue.getJobs(types, 0, limit - 1, false);
      const rows = await Promise.all(
        jobs.map(async (j) => ({
          id: j.id,
          state: await j.getState(),
          attempts: j.attemptsMade,
          plate: j.data.alert.plate,
          camera: j.data.alert.camera,
          label: j.data.alert.label,
          failedReason: j.failedReason || undefined,
          createdAt: isoTime(j.timestamp) ?? '',
        })),
      );
      if (values.json) out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) out(`(no ${state === 'all' ? '' : `${state} `}alerts)`);
      else
        for (const row of rows)
          out(
            `${row.id}  ${row.state.padEnd(9)} attempts=${row.attempts}  ${row.camera}  ${row.plate}  ${row.label}${row.failedReason ? `\n    ${row.failedReason}` : ''}`,
          );
      return 0;
    }
    if (values.all) {
      const before = await queue.getFailedCount();
      await queue.retryJobs({ state: 'failed', count: 1000 });
      out(`retried ${before} failed alert${before === 1 ? '' : 's'}`);
      return 0;
    }
    let bad = 0;
    for (const id of ids) {
      const job = await queue.getJob(id);
      if (!job) {
        out(`no such alert job: ${id}`);
        bad++;
      } else if ((await job.getState()) !== 'failed') {
        out(`${id} is ${await job.getState()}, not failed; left alone`);
        bad++;
      } else {
        await job.retry('failed', { resetAttemptsMade: true });
        out(`retrying ${id}`);
      }
    }
    return bad ? 1 : 0;
  } finally {
    await queue.close().catch(() => {});
    await closeRedis(redis);
  }
}
