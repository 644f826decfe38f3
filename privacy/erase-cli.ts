import { type CliIO, EXIT, openRedis, parseCommandArgs, processIO, usageError } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { auditCommand } from './audit.ts';
import { erasePlate, rememberErasure } from './erase.ts';

export const summary = 'erase every read, event, alert, sighting, cached answer and image of one plate';

const HELP = `usage:
  platestream erase PLATE [--dry-run] [--fuzzy] [--json]
      Removes the plate's reads (results), the frames (images) of those reads still in the frames stream,
      its events and their per-plate index entries (and the reads of those passes), its alerts and their
      webhook jobs, its sighting index, cached watchlist answers and alert windows; prints what it removed
      by kind. Found through the per-plate indexes and deleted by id (XDEL); the alerts stream and the
      webhook jobs have no per-plate index and are scanned. Running it again removes nothing.
      --dry-run counts what would go and changes nothing. --fuzzy also erases indexed plates within edit
      distance 1 (misreads). Each erasure (not a dry run) is recorded in the audit trail, and for
      LPR_ERASE_WINDOW_MS (10 min) the workers' housekeeping erases reads of the plate that land later
      (frames that were in flight).
Uses REDIS_URL, LPR_PREFIX, LPR_AUDIT_ACTOR, AUDIT_RETENTION_MS, LPR_ERASE_WINDOW_MS. See docs/privacy.md.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      fuzzy: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1)
    throw usageError('erase needs exactly one plate, e.g. "platestream erase AB123CD"');
  const plate = normalisePlate(positionals[0]!);
  if (!plate) throw usageError(`"${positionals[0]}" has no plate characters`);
  const r = new EnvReader(io.env);
  const config = readRedisConfig(r);
  const windowMs = r.int('LPR_ERASE_WINDOW_MS', 600_000, { min: 0, max: 7 * 24 * 3600_000 });
  r.finish();
  const parts = partitionsOf(config);
  const keys = parts.global;
  const redis = await openRedis(config, { name: 'erase' });
  try {
    const dryRun = values['dry-run'] ?? false;
    // Every partition holds its own cameras' reads: erase in each, one report.
    const report = await erasePlate(redis, parts.all[0]!, plate, { dryRun, fuzzy: values.fuzzy ?? false });
    for (const k of parts.all.slice(1)) {
      const r = await erasePlate(redis, k, plate, { dryRun, fuzzy: values.fuzzy ?? false });
      report.plates = [...new Set([...report.plates, ...r.plates])];
      for (const kind of Object.keys(r.removed) as (keyof typeof r.removed)[])
        report.removed[kind] += r.removed[kind];
    }
    const total = Object.values(report.removed).reduce((a, b) => a + b, 0);
    if (!dryRun) {
      // Each partition's housekeeping re-applies its own list to reads that land late.
      for (const k of parts.all) await rememberErasure(redis, k, report.plates, windowMs);
      await auditCommand(io.env, redis, keys, {
        action: 'erase',
        target: plate,
        rows: total,
        detail: JSON.stringify({ plates: report.plates, removed: report.removed }),
      });
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      io.stdout.write(
        `${dryRun ? 'would remove' : 'removed'} for ${report.plates.join(', ')}: ${total} items\n`,
      );
      for (const [kind, n] of Object.entries(report.removed)) io.stdout.write(`  ${kind.padEnd(16)} ${n}\n`);
    }
    return EXIT.ok;
  } finally {
    await closeRedis(redis);
  }
}
