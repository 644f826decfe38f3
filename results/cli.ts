import { auditCommand, auditSearch, searchTarget } from '../privacy/index.ts';
import {
  type CliIO,
  glueNegativeValues,
  intOption,
  numberOption,
  openRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { decodeResult, type ResultRecord } from '../shared/codec/result-codec.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { partitionedId } from '../shared/redis/stream/merged.ts';
import { printPartitionsTail } from '../shared/cli/partitions-tail.ts';
import { readSightings, readSightingsMatching } from '../shared/redis/plate-index.ts';
import {
  BlockingReader,
  compareIds,
  newestEntries,
  newestId,
  previousId,
} from '../shared/redis/stream/index.ts';
import { isoTime } from '../shared/util/iso-time.ts';
import { compileFilter, isPlateGlob, parseFrom, parseTo } from './filters.ts';
import { formatResultHeader, formatResultLine, resultJson } from './format.ts';
import { readResults } from './result-reader.ts';

export const summary = 'follow results live or look up recent sightings of a plate';

const HELP = `usage:
  platestream results tail [--camera C]... [--plate PATTERN] [--min-confidence 0.8] [--from -10m|ISO|ms|id]
                           [--to -1m|ISO|ms|id] [--no-follow] [--limit N] [--all] [--json]
      Prints results as they are written (follows by default), under a header; the watch column marks
      watchlist hits (HIT, HIT~ fuzzy, ? database unavailable). --plate takes * and ? wildcards.
      --all also prints frames where no plate was found. --from defaults to new results only.
      --to ends the range (inclusive) and stops following. --limit N first prints the newest N matching
      results already written (from the start, or --from, to --to), oldest first, like tail -n N.
      --json prints one object per result with every field (seq and watchlist too, when present).
  platestream results plate <TEXT|PATTERN> [--limit 50] [--json]
      Recent sightings from the per-plate index (kept for LPR_PLATE_INDEX_RETENTION_MS), newest first.
      A pattern ('AB1*', 'AB?23') searches every indexed plate that matches (found with SCAN).
Uses REDIS_URL, LPR_PREFIX and LPR_PARTITIONS (with several partitions ids are <id>@<partition>).
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'tail') return tail(rest, io);
  if (sub === 'plate') return plate(rest, io);
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(HELP);
    return 0;
  }
  throw usageError(
    sub ? `unknown subcommand "${sub}"; use tail or plate` : 'a subcommand is needed: tail or plate',
  );
}

function readConfig(io: CliIO) {
  const r = new EnvReader(io.env);
  const config = readRedisConfig(r);
  r.finish();
  const parts = partitionsOf(config);
  return { config, keys: parts.global, parts };
}

async function tail(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs({
    args: glueNegativeValues(argv, ['--from', '--to']),
    options: {
      camera: { type: 'string', multiple: true },
      plate: { type: 'string' },
      'min-confidence': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'no-follow': { type: 'boolean' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const minConfidence = numberOption('min-confidence', values['min-confidence'], { min: 0, max: 1 }) ?? 0;
  const limit = intOption('limit', values.limit, { min: 1 });
  let from: string | undefined;
  let to: string | undefined;
  try {
    from = values.from ? parseFrom(values.from) : undefined;
    to = values.to ? parseTo(values.to) : undefined;
  } catch (err) {
    throw usageError((err as Error).message);
  }
  if (from !== undefined && to !== undefined && compareIds(from, to) > 0)
    throw usageError(`--from ${values.from} is after --to ${values.to}`);
  // A range that ends is read once; otherwise new results are followed.
  const follow = !values['no-follow'] && to === undefined;
  const keep = compileFilter({
    cameras: values.camera ?? [],
    plate: values.plate,
    minConfidence,
    includeEmpty: values.all ?? false,
  });
  const { config, keys, parts } = readConfig(io);
  let printed = 0;
  const print = (r: ResultRecord) => {
    printed++;
    io.stdout.write(`${values.json ? JSON.stringify(resultJson(r)) : formatResultLine(r)}\n`);
  };
  // A plate or time filter makes it a search: recorded in the audit trail when it ends, with the rows printed.
  const target = searchTarget({ plate: values.plate, from: values.from, to: values.to });
  const audit = () =>
    target
      ? auditSearch(io.env, config, keys, { action: 'search:results-tail', target, rows: printed })
      : undefined;
  if (!values.json) io.stdout.write(`${formatResultHeader()}\n`);
  if (parts.count > 1) {
    // Every partition's results stream: merged by (id, partition), ids shown as <id>@<p>.
    await printPartitionsTail(config, {
      name: 'results-tail',
      streams: parts.all.map((k) => k.results),
      from,
      to,
      limit,
      follow,
      decode: (e) => decodeResult(partitionedId(e.id, e.partition, parts.count), e.fields),
      keep,
      print,
    });
    await audit();
    return 0;
  }

  // --limit N: like `tail -n N`, the newest N matching results already written (oldest first), read
  // backwards from the end of the range; then new ones when following.
  let after = from ? previousId(from) : follow ? '$' : '0-0';
  if (limit !== undefined) {
    const redis = await openRedis(config, { name: 'results-tail' });
    try {
      const end = to ?? (await newestId(redis, parts.all[0]!.results));
      const newest = await newestEntries(redis, parts.all[0]!.results, {
        from: from ?? '-',
        to: end,
        limit,
        decode: decodeResult,
        keep,
      });
      for (const r of newest) print(r);
      after = end === '+' ? '0-0' : end;
    } finally {
      await closeRedis(redis);
    }
    if (!follow) {
      await audit();
      return 0;
    }
  }

  const reader = new BlockingReader(config, { name: 'results-tail', blockMs: 2000, marginMs: 5000 });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await reader.waitReady(config.connectTimeoutMs + 1000);
    for await (const r of readResults(reader, {
      stream: parts.all[0]!.results,
      after,
      follow,
      signal: stop.signal,
    })) {
      if (to !== undefined && r.id !== undefined && compareIds(r.id, to) > 0) break;
      if (keep(r)) print(r);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reader.close();
  }
  await audit();
  return 0;
}

async function plate(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: { limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const raw = positionals[0] ?? '';
  const glob = isPlateGlob(raw);
  // A pattern keeps its wildcards; the text between them follows the plate rule.
  const text = glob
    ? raw
        .split(/([*?])/)
        .map((part) => (part === '*' || part === '?' ? part : normalisePlate(part)))
        .join('')
    : normalisePlate(raw);
  if (!text)
    throw usageError(
      'plate needs the plate text or a pattern, e.g. "results plate AB123CD" or "results plate \'AB1*\'"',
    );
  if (glob && text.replace(/[*?]/g, '').length === 0)
    throw usageError(`"${raw}" matches every plate; give at least one character, e.g. "AB*"`);
  const limit = intOption('limit', values.limit, { min: 1 }) ?? 50;
  const { config, keys, parts } = readConfig(io);
  const redis = await openRedis(config, { name: 'results-plate' });
  try {
    // Each partition indexes its own cameras' sightings: read them all, newest first (result ids <id>@<p>).
    const each = await Promise.all(
      parts.all.map(async (k, p) => {
        const f = glob
          ? await readSightingsMatching(redis, k, text, { limit })
          : {
              sightings: (await readSightings(redis, k, text, limit)).map((s) => ({ ...s, plate: text })),
              plates: 1,
              truncated: false,
            };
        return {
          ...f,
          sightings: f.sightings.map((s) => ({ ...s, resultId: partitionedId(s.resultId, p, parts.count) })),
        };
      }),
    );
    const found = {
      sightings: each
        .flatMap((f) => f.sightings)
        .sort((a, b) => b.ts - a.ts)
        .slice(0, limit),
      plates: glob ? Math.max(...each.map((f) => f.plates)) : 1,
      truncated: each.some((f) => f.truncated),
    };
    const { sightings } = found;
    await auditCommand(io.env, redis, keys, {
      action: 'search:results-plate',
      target: text,
      rows: sightings.length,
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(glob ? { pattern: text, ...found } : { plate: text, sightings })}\n`);
    } else if (sightings.length === 0) {
      io.stdout.write(`no recent sightings of ${text}\n`);
    } else {
      if (found.truncated)
        io.stderr.write(
          `results plate: more than ${found.plates} plates match ${text}; showing the first ${found.plates} (narrow the pattern)\n`,
        );
      for (const s of sightings) {
        const when = (isoTime(s.ts) ?? `(bad ts ${s.ts})`).replace('T', ' ').replace('Z', '');
        io.stdout.write(
          `${when}  ${s.camera.padEnd(12)} ${s.plate.padEnd(10)} ${(s.confidence * 100).toFixed(1).padStart(5)}%  ${s.resultId}\n`,
        );
      }
    }
  } finally {
    await closeRedis(redis);
  }
  return 0;
}
