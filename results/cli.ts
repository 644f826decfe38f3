import { parseArgs } from 'node:util';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { BlockingReader, previousId } from '../shared/redis/stream/index.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { compileFilter, parseFrom } from './filters.ts';
import { formatResultLine, resultJson } from './format.ts';
import { normalisePlateQuery, readSightings } from '../shared/redis/plate-index.ts';
import { readResults } from './result-reader.ts';

const USAGE = `usage:
  platestream results tail [--camera C]... [--plate PATTERN] [--min-confidence 0.8] [--from -10m|ISO|ms|id]
                           [--no-follow] [--limit N] [--all] [--json]
      Prints results as they are written (follows by default). --plate takes * and ? wildcards.
      --all also prints frames where no plate was found. --from defaults to new results only.
  platestream results plate <TEXT> [--limit 50] [--json]
      Recent sightings of one plate from the per-plate index (kept for LPR_PLATE_INDEX_RETENTION_MS).`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'tail') return tail(rest);
  if (sub === 'plate') return plate(rest);
  process.stdout.write(`${USAGE}\n`);
  return sub === '--help' || sub === '-h' ? 0 : 2;
}

function connect() {
  const r = new EnvReader();
  const config = readRedisConfig(r);
  r.finish();
  return { config, keys: new StreamKeys(config.prefix) };
}

/** `--from -10m` would read as an unknown option; glue option values that start with "-" to their option. */
function glueNegativeValues(argv: string[], options: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (options.includes(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

async function tail(argv: string[]): Promise<number> {
  const { values } = parseArgs({
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
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const minConfidence = values['min-confidence'] === undefined ? 0 : Number(values['min-confidence']);
  if (!Number.isFinite(minConfidence) || minConfidence < 0 || minConfidence > 1) {
    process.stderr.write('--min-confidence must be a number between 0 and 1\n');
    return 2;
  }
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (!(limit > 0)) {
    process.stderr.write('--limit must be a positive integer\n');
    return 2;
  }
  const follow = !values['no-follow'];
  let after: string;
  try {
    after = values.from ? previousId(parseFrom(values.from)) : follow ? '$' : '0-0';
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const keep = compileFilter({
    cameras: values.camera ?? [],
    plate: values.plate,
    minConfidence,
    includeEmpty: values.all ?? false,
  });
  const { config, keys } = connect();
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
      process.stdout.write(`${values.json ? JSON.stringify(resultJson(r)) : formatResultLine(r)}\n`);
      if (++printed >= limit) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reader.close();
  }
  return 0;
}

async function plate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const text = normalisePlateQuery(positionals[0] ?? '');
  if (values.help || !text) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  const { config, keys } = connect();
  const redis = createRedis(config, 'producer', { name: 'results-plate' });
  try {
    await waitReady(redis, config.connectTimeoutMs + 1000);
    const sightings = await readSightings(redis, keys, text, limit);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ plate: text, sightings })}\n`);
    } else if (sightings.length === 0) {
      process.stdout.write(`no recent sightings of ${text}\n`);
    } else {
      for (const s of sightings) {
        const when = new Date(s.ts).toISOString().replace('T', ' ').replace('Z', '');
        process.stdout.write(
          `${when}  ${s.camera.padEnd(12)} ${text.padEnd(10)} ${(s.confidence * 100).toFixed(1).padStart(5)}%  ${s.resultId}\n`,
        );
      }
    }
  } finally {
    await closeRedis(redis);
  }
  return 0;
}
