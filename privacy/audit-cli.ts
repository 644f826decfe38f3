import {
  type CliIO,
  EXIT,
  glueNegativeValues,
  intOption,
  openRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { isoTime } from '../shared/util/iso-time.ts';
import { listAudit } from './audit.ts';

export const summary = 'the audit trail: who searched for which plate, watchlist changes, erasures';

const HELP = `usage:
  platestream audit list [--since -1d|ISO|ms] [--actor NAME] [--action PREFIX] [--limit 1000] [--json]
      Audit entries, oldest first: time, actor (LPR_AUDIT_ACTOR or os:<user> of the CLI, the token name in
      the web API), action (search:results-plate, search:events-plate, watchlist:add, watchlist:remove,
      watchlist:import, erase, ...), target (plate, pattern or range) and rows returned or changed.
      Kept for AUDIT_RETENTION_MS. Uses REDIS_URL and LPR_PREFIX.
`;

/** `-10m`, `-2h`, `-7d`, an ISO time or ms epoch → ms epoch. */
export function parseSince(v: string, now = Date.now()): number {
  const rel = /^-(\d+)(s|m|h|d)$/.exec(v);
  if (rel) return now - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's']!;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw usageError(`--since "${v}" is not -<n>s|m|h|d, an ISO time or ms epoch`);
  return t;
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (sub !== 'list')
    throw usageError(sub ? `unknown subcommand "${sub}"; use list` : 'a subcommand is needed: list');
  const { values } = parseCommandArgs({
    args: glueNegativeValues(rest, ['--since']),
    options: {
      since: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const sinceMs = values.since === undefined ? undefined : parseSince(values.since);
  const limit = intOption('limit', values.limit, { min: 1 }) ?? 1000;
  const r = new EnvReader(io.env);
  const config = readRedisConfig(r);
  r.finish();
  const keys = new StreamKeys(config.prefix);
  const redis = await openRedis(config, { name: 'audit-list' });
  try {
    const rows = await listAudit(redis, keys, { sinceMs, actor: values.actor, action: values.action, limit });
    for (const a of rows) {
      io.stdout.write(
        values.json
          ? `${JSON.stringify(a)}\n`
          : `${(isoTime(a.at) ?? String(a.at)).replace('T', ' ').replace('Z', '')}  ${a.actor.padEnd(16)} ${a.action.padEnd(22)} ${a.target.padEnd(16)} ${a.rows}\n`,
      );
    }
    if (!values.json && rows.length === 0) io.stdout.write('no audit entries\n');
    return EXIT.ok;
  } finally {
    await closeRedis(redis);
  }
}
