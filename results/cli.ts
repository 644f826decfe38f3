import {
  type CliIO,
  glueNegativeValues,
  numberOption,
  openRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { readSightings } from '../shared/redis/plate-index.ts';
import { BlockingReader, previousId } from '../shared/redis/stream/index.ts';
import { isoTime } from '../shared/util/iso-time.ts';
import { compileFilter, parseFrom } from './filters.ts';
import { formatResultLine, resultJson } from './format.ts';
import { readResults } from './result-reader.ts';

export const summary = 'follow results live or look up recent sightings of a plate';

const HELP = `usage:
  platestream results tail [--camera C]... [--plate PATTERN] [--min-confidence 0.8] [--from -10m|ISO|ms|id]
                           [--no-follow] [--limit N] [--all] [--json]
      Prints results as they are written (follows by default). --plate takes * and ? wildcards.
      --all also prints frames where no plate was found. --from defaults to new results only.
  platestream results plate <TEXT> [--limit 50] [--json]
      Recent sightings of one plate from the per-plate index (kept for LPR_PLATE_INDEX_RETENTION_MS).
Uses REDIS_URL and LPR_PREFIX.
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
  return { config, keys: new StreamKeys(config.prefix) };
}

async function tail(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs({
    args: glueNegativeValues(argv, ['--from']),
    options: {
      camera: { type: 'string', multiple: true },
      plate: { type: 'string' },
      'min-confidence': { type: 'string' },
      from: { type: 'string' },
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
  const limit = numberOption('limit', values.limit, { min: 1 }) ?? Number.POSITIVE_INFINITY;
  const follow = !values['no-follow'];
  let after: string;
  try {
    after = values.from ? previousId(parseFrom(values.from)) : follow ? '$' : '0-0';
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const keep = compileFilter({
    cameras: values.camera ?? [],
    plate: values.plate,
    minConfidence,
    includeEmpty: values.all ?? false,
  });
  const { config, keys } = readConfig(io);
  const reader = new BlockingReader(config, { name: 'results-tail', blockMs: 2000, marginMs: 5000 });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let printed = 0;
  try {
    await reader.waitReady(config.connectTimeoutMs + 1000);
    for await (const r of readResults(reader, { stream: keys.results, after, follow, signal: stop.signal })) {
      if (!keep(r)) continue;
      io.stdout.write(`${values.json ? JSON.stringify(resultJson(r)) : formatResultLine(r)}\n`);
      if (++printed >= limit) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reader.close();
  }
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
  const text = normalisePlate(positionals[0] ?? '');
  if (!text) throw usageError('plate needs the plate text, e.g. "results plate AB123CD"');
  const limit = numberOption('limit', values.limit, { min: 1 }) ?? 50;
  const { config, keys } = readConfig(io);
  const redis = await openRedis(config, { name: 'results-plate' });
  try {
    const sightings = await readSightings(redis, keys, text, limit);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ plate: text, sightings })}\n`);
    } else if (sightings.length === 0) {
      io.stdout.write(`no recent sightings of ${text}\n`);
    } else {
      for (const s of sightings) {
        const when = (isoTime(s.ts) ?? `(bad ts ${s.ts})`).replace('T', ' ').replace('Z', '');
        io.stdout.write(
          `${when}  ${s.camera.padEnd(12)} ${text.padEnd(10)} ${(s.confidence * 100).toFixed(1).padStart(5)}%  ${s.resultId}\n`,
        );
      }
    }
  } finally {
    await closeRedis(redis);
  }
  return 0;
}
