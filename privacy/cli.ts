import { type CliIO, EXIT, openRedis, parseCommandArgs, processIO, usageError } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { readEventsConfig } from '../events/config.ts';
import { readWorkerConfig } from '../worker/config.ts';
import { auditTableStats } from './audit-db.ts';
import { readRetentionSettings } from './config.ts';
import { formatAge, mergePartitionReports, privacyReport, unlimitedKinds } from './report.ts';

export const summary = 'personal data held: each kind, its retention and its oldest item (report)';

const HELP = `usage:
  platestream privacy report [--json] [--strict]
      Lists every kind of data that can hold a plate, an image or a read (frames, results, DLQ, alerts,
      events and their per-plate index, open passes, the sighting index, watchlist cache, alert windows,
      static references, webhook jobs, the audit trail; with DATABASE_URL also the audit_log table): its
      retention setting, how many items it holds and
      the age of its oldest item (TTL kinds: the longest TTL left). A kind with no age limit says so;
      --strict exits 1 when there is any (a check for deployment pipelines).
Reads the same variables as the components (RESULTS_RETENTION, RESULTS_RETENTION_MS, DLQ_RETENTION_MS,
ALERTS_RETENTION_MS, EVENTS_RETENTION_MS, LPR_PLATE_INDEX_RETENTION_MS, WATCHLIST_*_TTL_MS, ...): run it
with the pipeline's environment. Uses REDIS_URL and LPR_PREFIX. Erasure: platestream erase PLATE.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    if (sub === undefined) throw usageError('a subcommand is needed: report');
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (sub !== 'report') throw usageError(`unknown subcommand "${sub}"; use report`);
  const { values } = parseCommandArgs({
    args: rest,
    options: {
      json: { type: 'boolean' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  // Each stage's settings through that stage's own reader (same variables, bounds and defaults as the
  // process that enforces them); each reports its own bad variables.
  const worker = readWorkerConfig(new EnvReader(io.env), io.env);
  const events = readEventsConfig(new EnvReader(io.env));
  const r = new EnvReader(io.env);
  const config = readRedisConfig(r);
  const settings = readRetentionSettings(r, {
    worker: worker.worker,
    alerts: worker.alerts,
    watchlist: worker.watchlist,
    events: events.events,
  });
  const databaseUrl = r.optionalString('DATABASE_URL');
  r.finish();
  const parts = partitionsOf(config);
  const redis = await openRedis(config, { name: 'privacy-report' });
  try {
    // Every partition holds its own cameras' data: one report over all of them.
    const kinds = mergePartitionReports(
      await Promise.all(parts.all.map((k) => privacyReport(redis, k, settings))),
    );
    // PostgreSQL: the watchlist is the operator's own list; the audit table is the one other table.
    const table = databaseUrl ? await auditTableStats(databaseUrl) : undefined;
    if (table)
      kinds.push({
        kind: 'audit-table',
        key: 'PostgreSQL audit_log',
        holds: 'the audit entries (durable copy)',
        retention: `AUDIT_RETENTION_MS (rows deleted on append)`,
        maxAgeMs: settings.auditRetentionMs,
        ...table,
      });
    const unlimited = unlimitedKinds(kinds);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ kinds, unlimited })}\n`);
    } else {
      io.stdout.write(
        `${'kind'.padEnd(18)} ${'items'.padStart(9)} ${'oldest'.padStart(8)} ${'limit'.padStart(8)}  retention\n`,
      );
      for (const k of kinds) {
        const oldest =
          k.maxTtlMs !== undefined
            ? `ttl ${formatAge(k.items ? k.maxTtlMs : null)}`
            : formatAge(k.oldestAgeMs);
        io.stdout.write(
          `${k.kind.padEnd(18)} ${String(k.items).padStart(9)} ${oldest.padStart(8)} ${(k.maxAgeMs === null ? 'NONE' : formatAge(k.maxAgeMs)).padStart(8)}  ${k.retention}${k.note ? ` [${k.note}]` : ''}\n`,
        );
      }
      io.stdout.write(
        unlimited.length
          ? `\n${unlimited.length} kinds have no age limit: ${unlimited.join(', ')}\n`
          : '\nevery kind has an age limit\n',
      );
    }
    return values.strict && unlimited.length > 0 ? 1 : EXIT.ok;
  } finally {
    await closeRedis(redis);
  }
}
