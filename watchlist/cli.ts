import { readFileSync } from 'node:fs';
import type { RedisClient } from '../shared/redis/connection.ts';
import { auditCommand } from '../privacy/index.ts';
import {
  type CliIO,
  intOption,
  lines,
  openRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { readWebhookPolicy } from '../alerts/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { redactUrl } from '../shared/redact-url.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { WatchlistAdmin } from './admin.ts';
import { cliPool, readCliConfig } from './cli-context.ts';
import { readWatchlistCsv } from './csv.ts';
import { asDatabaseError } from './db.ts';
import { parseEntryOrThrow, type WatchlistEntry } from './entry.ts';
import { assertMigrated } from './migrate.ts';
import { WatchlistStore } from './store.ts';

const HELP = `usage:
  platestream watchlist add <plate> --label <why> [--expires <ISO date>] [--webhook <url>]
  platestream watchlist remove <plate>...
  platestream watchlist list [--all] [--prefix <plate prefix>] [--limit <n>] [--json]
  platestream watchlist import <file.csv> [--dry-run]

add replaces an existing entry for the same plate. import reads a CSV with a header naming the columns
plate,label[,expires][,webhook]; every bad row is reported with its line number and nothing is imported
unless all rows are valid. Changes invalidate cached lookups at once (RedisClient must be reachable).
--all lists expired entries too.

Environment: DATABASE_URL (required), REDIS_URL, LPR_PREFIX
`;

export const summary = 'manage the watchlist: add, remove, list, import <csv>';

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { positionals, values } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      label: { type: 'string' },
      reason: { type: 'string' },
      expires: { type: 'string' },
      webhook: { type: 'string' },
      all: { type: 'boolean' },
      prefix: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  });
  const [sub, ...args] = positionals;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!sub || !['add', 'remove', 'list', 'import'].includes(sub))
    throw usageError(
      sub ? `unknown subcommand "${sub}"` : 'a subcommand is needed: add, remove, list or import',
    );
  const out = lines(io.stdout);

  // Validate arguments before connecting anywhere. Webhooks are checked against LPR_WEBHOOK_ALLOW.
  const envReader = new EnvReader(io.env);
  const webhookPolicy = readWebhookPolicy(envReader);
  envReader.finish();
  let csv: ReturnType<typeof readWatchlistCsv> | undefined;
  if (sub === 'add' && args.length !== 1)
    throw usageError('add takes exactly one plate; see "platestream watchlist --help"');
  if (sub === 'remove' && args.length === 0) throw usageError('remove needs at least one plate');
  if (sub === 'import') {
    if (args.length !== 1) throw usageError('import takes exactly one CSV file');
    let text: string;
    try {
      text = readFileSync(args[0]!, 'utf8');
    } catch (err) {
      throw usageError(`cannot read ${args[0]}: ${err instanceof Error ? err.message : String(err)}`);
    }
    csv = readWatchlistCsv(text, Date.now(), webhookPolicy);
    if (csv.errors.length) {
      throw new PlatestreamError(
        'WATCHLIST_INVALID',
        `${args[0]}: ${csv.errors.length} bad row${csv.errors.length > 1 ? 's' : ''}; nothing imported:\n${csv.errors.map((e) => `  ${e}`).join('\n')}`,
        { details: { errors: csv.errors } },
      );
    }
    if (values['dry-run']) {
      out(`${args[0]}: ${csv.entries.length} valid rows (dry run: nothing imported)`);
      return 0;
    }
  }
  const input =
    sub === 'add'
      ? parseEntryOrThrow(
          {
            plate: args[0]!,
            label: values.label ?? values.reason,
            expires: values.expires,
            webhook: values.webhook,
          },
          webhookPolicy,
        )
      : undefined;
  const limit = intOption('limit', values.limit, { min: 1 }) ?? 1000;

  const config = readCliConfig(io.env);
  const pool = cliPool(config.databaseUrl);
  let redis: RedisClient | undefined;
  try {
    await assertMigrated(pool).catch((err: unknown) => {
      throw asDatabaseError(err, 'checking the schema', config.databaseUrl);
    });
    const store = new WatchlistStore(pool);
    if (sub === 'list') {
      const entries = await store.list({
        limit,
        includeExpired: values.all ?? false,
        plate: values.prefix ? normalisePlate(values.prefix) : undefined,
      });
      if (values.json)
        out(
          JSON.stringify(
            entries.map((e) => (e.webhook ? { ...e, webhook: redactUrl(e.webhook) } : e)),
            null,
            2,
          ),
        );
      else printTable(entries, out);
      return 0;
    }
    redis = await openRedis(config.redis, { name: 'watchlist-cli' });
    const keys = new StreamKeys(config.redis.prefix);
    const admin = new WatchlistAdmin(store, redis, keys);
    const audit = (action: string, target: string, rows: number) =>
      auditCommand(io.env, redis!, keys, { action: `watchlist:${action}`, target, rows });
    if (sub === 'add') {
      const { entry, created } = await admin.add(input!);
      await audit(created ? 'add' : 'update', entry.plate, 1);
      out(`${created ? 'added' : 'updated'} ${entry.plate} (id ${entry.id})`);
      return 0;
    }
    if (sub === 'remove') {
      const plates = args.map(normalisePlate);
      const removed = await admin.remove(plates);
      await audit('remove', plates.join(','), removed.length);
      for (const p of plates) out(removed.includes(p) ? `removed ${p}` : `not on the watchlist: ${p}`);
      return removed.length === plates.length ? 0 : 1;
    }
    const r = await admin.importAll(csv!.entries);
    await audit('import', args[0]!, r.inserted + r.updated);
    out(`imported ${args[0]}: ${r.inserted} added, ${r.updated} updated`);
    return 0;
  } catch (err) {
    throw asDatabaseError(err, `running "watchlist ${sub}"`, config.databaseUrl);
  } finally {
    if (redis) await closeRedis(redis);
    await pool.end().catch(() => {});
  }
}

function printTable(entries: WatchlistEntry[], out: (s: string) => void): void {
  if (entries.length === 0) {
    out('(no entries)');
    return;
  }
  out(['ID'.padEnd(6), 'PLATE'.padEnd(12), 'EXPIRES'.padEnd(24), 'WEBHOOK'.padEnd(8), 'LABEL'].join(' '));
  for (const e of entries) {
    out(
      [
        e.id.padEnd(6),
        e.plate.padEnd(12),
        (e.expiresAt ?? '-').padEnd(24),
        (e.webhook ? 'yes' : '-').padEnd(8),
        e.label,
      ].join(' '),
    );
  }
}
