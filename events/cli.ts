import { auditCommand, auditSearch, searchTarget } from '../privacy/index.ts';
import { parseFrom, parseTo, plateGlobToRegExp } from '../results/filters.ts';
import {
  type CliIO,
  glueNegativeValues,
  numberOption,
  openRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { decodeEvent, type EventRecord } from '../shared/codec/event-codec.ts';
import { decodeResult } from '../shared/codec/result-codec.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRedisConfig } from '../shared/config/redis-config.ts';
import { configureRootLogger } from '../shared/logger.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { parsePartitionedId, partitionedId } from '../shared/redis/stream/merged.ts';
import { printPartitionsTail } from '../shared/cli/partitions-tail.ts';
import {
  BlockingReader,
  compareIds,
  entryFields,
  newestEntries,
  newestId,
  previousId,
  tailStreams,
} from '../shared/redis/stream/index.ts';
import { readEventsConfig } from './config.ts';
import { startEvents } from './service.ts';

export const summary = 'vehicle events: run the events stage, follow events, show one, look up a plate';

const HELP = `usage:
  platestream events
      Runs the events stage until SIGTERM/SIGINT: consumer group "events" on <LPR_PREFIX>:results, one event
      per vehicle pass on <LPR_PREFIX>:events (one process per partition at a time; others wait as standby).
  platestream events tail [--camera C]... [--plate GLOB] [--from -10m|ISO|ms|id] [--to ...] [--no-follow]
                          [--limit N] [--json]
      Prints events as they are written (follows unless --no-follow or --to). --plate takes * and ?.
  platestream events show ID [--json]
      One event (events stream id or event id) with its frames and their reads.
  platestream events plate TEXT [--limit 50] [--json]
      Events of one plate from the per-plate index, newest first.

Configuration of the stage (environment; defaults in parentheses):
  REDIS_URL, LPR_PREFIX                EVENTS_CONSUMER (<hostname>-<pid>)
  EVENTS_LATENESS_MS (2000)            EVENTS_MAX_GAP_MS (3000)        EVENTS_IDLE_FLUSH_MS (5000)
  EVENTS_MAX_EDIT_DISTANCE (2)         EVENTS_MAX_SPEED (12 box widths/s)
  EVENTS_MIN_READS (2)                 EVENTS_MIN_READ_CONFIDENCE (0)  LPR_PLATE_FORMATS (voting format rules)
  EVENTS_READ_COUNT (200)              EVENTS_BLOCK_MS (1000)          EVENTS_WATCHDOG_MARGIN_MS (3000)
  EVENTS_LOCK_TTL_MS (5000)            EVENTS_CLAIM_IDLE_MS (10000)
  EVENTS_MAXLEN (1000000)              EVENTS_INDEX_MAXLEN (1000000, 0 = no per-plate index)
  EVENTS_HTTP_PORT (9465, 0 = off)     EVENTS_HTTP_HOST (0.0.0.0)      EVENTS_SHUTDOWN_TIMEOUT_MS (10000)
  DATABASE_URL (unset = no watchlist)  ALERTS_MAXLEN (100000)          LOG_LEVEL, LOG_PLATES
See docs/events.md.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'tail') return tail(rest, io);
  if (sub === 'show') return show(rest, io);
  if (sub === 'plate') return plate(rest, io);
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(HELP);
    return 0;
  }
  if (sub !== undefined)
    throw usageError(`unknown subcommand "${sub}"; use tail, show or plate (or none to run the stage)`);
  const config = readEventsConfig(new EnvReader(io.env));
  configureRootLogger(config.log);
  const service = await startEvents(config, { signals: true });
  await service.closed;
  return 0;
}

function readConfig(io: CliIO) {
  const r = new EnvReader(io.env);
  const config = readRedisConfig(r);
  r.finish();
  const parts = partitionsOf(config);
  return { config, keys: parts.global, parts };
}

function position(name: 'from' | 'to', value: string): string {
  try {
    // --to is inclusive: a time covers every entry of its millisecond.
    return name === 'to' ? parseTo(value) : parseFrom(value);
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

async function tail(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs({
    args: glueNegativeValues(argv, ['--from', '--to']),
    options: {
      camera: { type: 'string', multiple: true },
      plate: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'no-follow': { type: 'boolean' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const limit = numberOption('limit', values.limit, { min: 1 });
  const to = values.to ? position('to', values.to) : undefined;
  const from = values.from ? position('from', values.from) : undefined;
  if (from !== undefined && to !== undefined && compareIds(from, to) > 0)
    throw usageError(`--from ${values.from} is after --to ${values.to}`);
  const follow = !values['no-follow'] && to === undefined;
  let after = from ? previousId(from) : follow ? '$' : '0-0';
  const cameras = new Set(values.camera ?? []);
  const re = values.plate ? plateGlobToRegExp(values.plate) : undefined;
  const keep = (e: { camera: string; plate: string }) =>
    (cameras.size === 0 || cameras.has(e.camera)) && (!re || re.test(e.plate));
  const { config, keys, parts } = readConfig(io);
  let printed = 0;
  const print = (e: ReturnType<typeof decodeEvent>) => {
    printed++;
    io.stdout.write(`${values.json ? JSON.stringify(eventJson(e)) : eventLine(e)}\n`);
  };
  if (parts.count > 1) {
    // Every partition's events stream: merged by (id, partition), ids shown as <id>@<p>.
    await printPartitionsTail(config, {
      name: 'events-tail',
      streams: parts.all.map((k) => k.events),
      from,
      to,
      limit,
      follow,
      decode: (e) => decodeEvent(partitionedId(e.id, e.partition, parts.count), e.fields),
      keep,
      print,
    });
    return finishTail(io, config, keys, values, printed);
  }
  // --limit N: like `tail -n N`, the newest N matching events already written (oldest first); then new ones
  // when following.
  if (limit !== undefined) {
    const redis = await openRedis(config, { name: 'events-tail' });
    try {
      const end = to ?? (await newestId(redis, parts.all[0]!.events));
      const newest = await newestEntries(redis, parts.all[0]!.events, {
        from: from ?? '-',
        to: end,
        limit,
        decode: decodeEvent,
        keep,
      });
      for (const e of newest) print(e);
      after = end === '+' ? '0-0' : end;
    } finally {
      await closeRedis(redis);
    }
  }
  if (limit !== undefined && !follow) return finishTail(io, config, keys, values, printed);
  const reader = new BlockingReader(config, { name: 'events-tail', blockMs: 2000, marginMs: 5000 });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await reader.waitReady(config.connectTimeoutMs + 1000);
    for await (const entry of tailStreams(reader, {
      from: [{ stream: parts.all[0]!.events, after }],
      follow: follow,
      signal: stop.signal,
    })) {
      if (to !== undefined && compareIds(entry.id, to) > 0) break;
      const e = decodeEvent(entry.id, entryFields(entry));
      if (keep(e)) print(e);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reader.close();
  }
  return finishTail(io, config, keys, values, printed);
}

/** A plate or time filter makes `events tail` a search: recorded in the audit trail with the rows printed. */
async function finishTail(
  io: CliIO,
  config: ReturnType<typeof readConfig>['config'],
  keys: StreamKeys,
  values: { plate?: string; from?: string; to?: string },
  printed: number,
): Promise<number> {
  const target = searchTarget({ plate: values.plate, from: values.from, to: values.to });
  if (target)
    await auditSearch(io.env, config, keys, { action: 'search:events-tail', target, rows: printed });
  return 0;
}

async function show(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const id = positionals[0];
  if (!id) throw usageError('show needs an event id, e.g. "events show 1700000000000-0"');
  const { config, parts } = readConfig(io);
  const redis = await openRedis(config, { name: 'events-show' });
  try {
    let event: EventRecord | undefined;
    let keys = parts.all[0]!;
    const sid = parsePartitionedId(id);
    if (sid) {
      // A stream id: `<id>@<p>` names its partition; a plain one may be in any.
      for (const p of sid.partition !== undefined ? [sid.partition] : parts.all.map((_, i) => i)) {
        const k = parts.all[p];
        if (!k) continue;
        const rows = (await redis.xrange(k.events, sid.id, sid.id)) as [string, string[]][];
        if (rows[0]) {
          event = decodeEvent(partitionedId(rows[0][0], p, parts.count), rows[0][1]);
          keys = k;
          break;
        }
      }
    } else {
      // An event id (<camera>:<first ms>:<n>): in its camera's partition, scan from the first capture time it names.
      const camera = id.split(':').slice(0, -2).join(':');
      const p = parts.index(camera);
      keys = parts.all[p]!;
      const firstMs = Number(id.split(':').at(-2));
      const start = Number.isFinite(firstMs) ? `${firstMs}-0` : '-';
      for (const [sid, fields] of (await redis.xrange(keys.events, start, '+', 'COUNT', 10_000)) as [
        string,
        string[],
      ][]) {
        const e = decodeEvent(partitionedId(sid, p, parts.count), fields);
        if (e.event === id) {
          event = e;
          break;
        }
      }
    }
    if (!event) {
      io.stderr.write(
        `events: no event ${id} in ${parts.all.map((k) => k.events).join(', ')} (trimmed, or a wrong id)\n`,
      );
      return 1;
    }
    const reads = [];
    for (const r of event.results) {
      const rows = (await redis.xrange(keys.results, r.id, r.id)) as [string, string[]][];
      const full = rows[0] ? decodeResult(rows[0][0], rows[0][1]) : undefined;
      reads.push({ ...r, candidates: full?.plates, worker: full?.worker, kept: full !== undefined });
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ...eventJson(event), reads })}\n`);
      return 0;
    }
    io.stdout.write(`${eventLine(event)}\n`);
    io.stdout.write(
      `  event ${event.event}  best frame ${event.bestFrame}  box ${JSON.stringify(event.bestBox ?? null)}  watchlist ${event.watchlist || '-'}\n`,
    );
    if (event.alternatives.length > 0) {
      io.stdout.write(
        `  alternatives: ${event.alternatives.map((a) => `${a.plate} (${a.votes.toFixed(2)})`).join(', ')}\n`,
      );
    }
    for (const r of reads) {
      const others = (r.candidates ?? [])
        .filter((c) => c.text !== r.plate)
        .map((c) => c.text)
        .join(' ');
      io.stdout.write(
        `  ${iso(r.ts)}  frame ${r.frame}  result ${r.id}  ${r.plate.padEnd(10)} ${(r.confidence * 100).toFixed(1).padStart(5)}%${others ? `  also in view: ${others}` : ''}${r.kept ? '' : '  (result trimmed)'}\n`,
      );
    }
  } finally {
    await closeRedis(redis);
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
  if (!text) throw usageError('plate needs the plate text, e.g. "events plate AB123CD"');
  const limit = numberOption('limit', values.limit, { min: 1 }) ?? 50;
  const { config, keys, parts } = readConfig(io);
  const redis = await openRedis(config, { name: 'events-plate' });
  try {
    // Each partition indexes its own cameras' events: newest first across them.
    const found: { m: string; p: number }[] = [];
    for (const [p, k] of parts.all.entries())
      for (const m of await redis.zrevrangebylex(
        k.eventsByPlate,
        `[${text};`,
        `[${text}:`,
        'LIMIT',
        0,
        limit,
      ))
        found.push({ m, p });
    found.sort((a, b) => (a.m < b.m ? 1 : a.m > b.m ? -1 : b.p - a.p));
    const events: EventRecord[] = [];
    for (const { m, p } of found.slice(0, limit)) {
      const id = m.split(':').at(-1)!;
      const rows = (await redis.xrange(parts.all[p]!.events, id, id)) as [string, string[]][];
      if (rows[0]) events.push(decodeEvent(partitionedId(rows[0][0], p, parts.count), rows[0][1]));
    }
    await auditCommand(io.env, redis, keys, {
      action: 'search:events-plate',
      target: text,
      rows: events.length,
    });
    if (values.json) io.stdout.write(`${JSON.stringify({ plate: text, events: events.map(eventJson) })}\n`);
    else if (events.length === 0) io.stdout.write(`no events of ${text}\n`);
    else for (const e of events) io.stdout.write(`${eventLine(e)}\n`);
  } finally {
    await closeRedis(redis);
  }
  return 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** One line per event: time, camera, plate, confidence, frames, duration, direction, id. */
function eventLine(e: EventRecord): string {
  const secs = ((e.lastTs - e.firstTs) / 1000).toFixed(1);
  return `${iso(e.firstTs)}  ${e.camera.padEnd(12)} ${e.plate.padEnd(10)} ${(e.confidence * 100).toFixed(1).padStart(5)}%  ${String(e.frames).padStart(3)} frames  ${secs.padStart(5)} s  ${(e.direction || '-').padEnd(11)} ${e.id ?? ''}`;
}

function eventJson(e: EventRecord): Record<string, unknown> {
  return { ...e };
}
