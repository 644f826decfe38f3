import {
  type CliIO,
  EXIT,
  intOption,
  openRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { isClusterUrl } from '../shared/redis/cluster-url.ts';
import { closeRedis, isCluster, type RedisClient } from '../shared/redis/connection.ts';
import { keySlot } from '../shared/redis/key-slot.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { MAX_PARTITIONS, Partitions } from '../shared/redis/partitions.ts';
import { migratePartitions, storedPartitions } from './partition-migrate.ts';

export const summary = 'show the partition count of the data, or migrate it to another (LPR_PARTITIONS)';

const HELP = `usage: platestream partitions [status] [--json]
       platestream partitions migrate --to P [--dry-run] [--events-partitions N] [--json]

  status     the partition count the data is laid out in (lpr:meta:partitions), LPR_PARTITIONS of this
             environment, and each partition's stream lengths
  migrate    re-lays a STOPPED, DRAINED pipeline from the stored count to P: refused while any worker,
             events or notifier process runs, or while frames, results or alerts are still in flight.
             Every camera's kept frames, results, dead letters, alerts, events, open passes, sightings,
             alert windows and idempotency keys move to its partition under P. Then start every process
             with LPR_PARTITIONS=P. --dry-run checks and counts without changing anything.
             --events-partitions N: with --to 1, the EVENTS_PARTITIONS the events processes will use
             (default: EVENTS_PARTITIONS of this environment, or 1).
Uses REDIS_URL and LPR_PREFIX. See docs/partitions.md.
`;

/** slot → `host:port` of the master serving it (CLUSTER SLOTS). */
async function slotMasters(redis: RedisClient): Promise<(slot: number) => string | undefined> {
  const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
  return (slot) => {
    const r = ranges.find(([from, to]) => slot >= from && slot <= to);
    return r ? `${r[2][0]}:${r[2][1]}` : undefined;
  };
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'events-partitions': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const [sub = 'status', ...extra] = positionals;
  if (extra.length > 0) throw usageError(`unexpected argument ${extra.join(' ')}`);
  if (sub !== 'status' && sub !== 'migrate')
    throw usageError(`unknown subcommand "${sub}"; use status or migrate`);
  const r = new EnvReader(io.env);
  const config = readRedisConfig(r);
  const envEvents = r.int('EVENTS_PARTITIONS', 1, { min: 1, max: 64 });
  r.finish();
  const redis = await openRedis(config, { name: 'partitions' });
  try {
    if (sub === 'status') {
      // Nothing recorded and no data yet: the first process will record its LPR_PARTITIONS.
      const recorded = (await redis.get(new StreamKeys(config.prefix).partitionsMeta)) !== null;
      const plain = new StreamKeys(config.prefix);
      const legacy = (await redis.exists(plain.frames)) + (await redis.exists(plain.results)) > 0;
      const stored = recorded || legacy ? await storedPartitions(redis, config.prefix) : config.partitions;
      const parts = new Partitions(config.prefix, stored, { hashTag: isClusterUrl(config.url) });
      // On a cluster: the hash slot of each partition and the master serving it (is the load spread?).
      const masters = isCluster(redis) ? await slotMasters(redis) : undefined;
      const byPartition = [];
      for (const k of parts.all) {
        const slot = keySlot(k.frames);
        byPartition.push({
          frames: await redis.xlen(k.frames),
          results: await redis.xlen(k.results),
          events: await redis.xlen(k.events),
          ...(masters ? { slot, master: masters(slot) } : {}),
        });
      }
      const out = { prefix: config.prefix, stored, recorded, configured: config.partitions, byPartition };
      if (values.json) io.stdout.write(`${JSON.stringify(out)}\n`);
      else {
        io.stdout.write(
          `prefix ${config.prefix}: data in ${stored} partition${stored === 1 ? '' : 's'}${recorded || legacy ? '' : ' (nothing recorded yet: the first process records its LPR_PARTITIONS)'}; LPR_PARTITIONS here = ${config.partitions}${stored === config.partitions ? '' : '  (MISMATCH: processes started with this environment refuse to run)'}\n`,
        );
        for (const [p, b] of byPartition.entries())
          io.stdout.write(
            `  ${String(p).padStart(3)}  frames ${b.frames}  results ${b.results}  events ${b.events}${b.master ? `  slot ${b.slot} on ${b.master}` : ''}\n`,
          );
      }
      return stored === config.partitions ? EXIT.ok : 1;
    }
    if (values.to === undefined) throw usageError('migrate needs --to P (the new partition count)');
    const to = intOption('to', values.to, { min: 1, max: MAX_PARTITIONS })!;
    const eventsPartitions = intOption('events-partitions', values['events-partitions'], { min: 1, max: 64 });
    const report = await migratePartitions(redis, config.prefix, {
      to,
      dryRun: values['dry-run'],
      eventsPartitions: eventsPartitions ?? envEvents,
      hashTag: isClusterUrl(config.url),
    });
    if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      const m = report.moved;
      io.stdout.write(
        `${report.dryRun ? 'dry run: would migrate' : report.from === report.to ? 'nothing to do:' : 'migrated'} ${report.from} → ${report.to} partitions: frames ${m.frames}, results ${m.results}, dlq ${m.dlq}, alerts ${m.alerts}, events ${m.events}` +
          (report.dryRun || report.from === report.to
            ? '\n'
            : `; ${report.openCameras} cameras with open passes, ${report.keys} index/window/idempotency keys, ${report.renumbered} entries renumbered\nstart every process with LPR_PARTITIONS=${report.to}\n`),
      );
    }
    return EXIT.ok;
  } finally {
    await closeRedis(redis);
  }
}
