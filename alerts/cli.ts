import { parseArgs } from 'node:util';
import type { JobType } from 'bullmq';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { usageError } from '../watchlist/cli-context.ts';
import { webhookQueue } from './webhook-queue.ts';

const STATES = ['failed', 'waiting', 'delayed', 'active', 'completed'] as const;

const USAGE = `usage:
  platestream alerts list [--state failed|waiting|delayed|active|completed|all] [--limit <n>] [--json]
  platestream alerts retry <alert id>... | --all

list shows webhook delivery jobs (default: failed ones, newest first); the job id is the alert's stream id.
retry puts failed jobs back in the queue with a fresh set of attempts.

Environment: REDIS_URL, LPR_PREFIX`;

export const summary = 'list webhook deliveries (failed by default) and retry failed ones';

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
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
  if (values.help || !sub || !['list', 'retry'].includes(sub)) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const state = values.state!;
  if (state !== 'all' && !(STATES as readonly string[]).includes(state)) {
    throw usageError(`--state "${state}" is not one of ${STATES.join(', ')}, all`);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw usageError(`--limit "${values.limit}" must be a positive integer`);
  if (sub === 'retry' && !values.all && ids.length === 0) throw usageError('retry needs alert ids or --all');

  const r = new EnvReader();
  const redisConfig = readRedisConfig(r);
  r.finish();
  const redis = createRedis(redisConfig, 'consumer', { name: 'alerts-cli' });
  const queue = webhookQueue(redis, new StreamKeys(redisConfig.prefix));
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    await waitReady(redis, redisConfig.connectTimeoutMs + 1000);
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
          createdAt: new Date(j.timestamp).toISOString(),
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
