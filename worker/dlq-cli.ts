import { writeFileSync } from 'node:fs';
import {
  type CliIO,
  EXIT,
  intOption,
  openOperatorRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import { parsePartitionedId } from '../shared/redis/stream/merged.ts';
import { getDlqEntry, listDlq, purgeDlq, requeueAll, requeueDlqEntry } from './dlq.ts';

export const summary = 'list, show, requeue or purge dead-lettered frames';

const HELP = `usage: platestream dlq <list|show|requeue|purge> [options]

  list [--count N] [--after ID] [--json]   dead-lettered frames, oldest first: id, frame, camera, stage, deliveries, error
  show ID [--json] [--img FILE]            every field of one entry (--img writes the image bytes to FILE)
  requeue ID... | --all                    put frames back on the frames stream and remove them from the DLQ
                                           (atomic per entry; the frame gets a new id and fresh deliveries)
  purge ID... | --all                      delete entries (--all deletes the whole DLQ)
Uses REDIS_URL and LPR_PREFIX.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      count: { type: 'string', default: '50' },
      after: { type: 'string' },
      json: { type: 'boolean', default: false },
      img: { type: 'string' },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...ids] = positionals;
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (!sub) throw usageError('a subcommand is needed: list, show, requeue or purge');
  if (!['list', 'show', 'requeue', 'purge'].includes(sub)) throw usageError(`unknown subcommand "${sub}"`);
  if ((sub === 'requeue' || sub === 'purge') && ids.length === 0 && !values.all) {
    throw usageError(`${sub} needs entry ids or --all`);
  }
  if (sub === 'show' && ids.length !== 1) throw usageError('show needs exactly one entry id');
  const bad = ids.find((id) => parsePartitionedId(id) === undefined);
  if (bad !== undefined)
    throw usageError(
      `"${bad}" is not a DLQ entry id; ids look like 1700000000000-0, or 1700000000000-0@2 with LPR_PARTITIONS > 1 (the first column of "platestream dlq list")`,
    );
  const count = intOption('count', values.count, { min: 1 })!;

  const { redis, parts: keys } = await openOperatorRedis(io.env, { name: 'dlq' });
  try {
    switch (sub) {
      case 'list': {
        const entries = await listDlq(redis, keys, { count, after: values.after });
        if (values.json) {
          io.stdout.write(`${JSON.stringify(entries.map((e) => ({ id: e.id, fields: e.fields })))}\n`);
        } else if (entries.length === 0) {
          io.stdout.write('the DLQ is empty\n');
        } else {
          for (const e of entries) {
            const f = e.fields;
            io.stdout.write(
              `${e.id}  frame ${f.frame ?? '?'}  camera ${f.camera ?? '?'}  stage ${f.stage ?? '?'}  deliveries ${f.deliveries ?? '?'}  ${f.error ?? ''}\n`,
            );
          }
        }
        return 0;
      }
      case 'show': {
        const entry = await getDlqEntry(redis, keys, ids[0]!);
        if (!entry) {
          io.stderr.write(`platestream dlq: no DLQ entry ${ids[0]} in ${keys.all.map((k) => k.dlq).join(', ')}\n`);
          return 1;
        }
        if (values.img && entry.img) writeFileSync(values.img, entry.img);
        if (values.json) io.stdout.write(`${JSON.stringify({ id: entry.id, fields: entry.fields })}\n`);
        else {
          io.stdout.write(`${entry.id}\n`);
          for (const [k, v] of Object.entries(entry.fields)) io.stdout.write(`  ${k.padEnd(12)} ${v}\n`);
        }
        return 0;
      }
      case 'requeue': {
        const outcomes = values.all ? await requeueAll(redis, keys) : [];
        if (!values.all) for (const id of ids) outcomes.push(await requeueDlqEntry(redis, keys, id));
        let failed = 0;
        for (const o of outcomes) {
          if (o.frameId) io.stdout.write(`${o.id} -> frames ${o.frameId}\n`);
          else {
            failed++;
            io.stderr.write(
              o.problem === 'missing'
                ? `${o.id}: the frame was gone before it was dead-lettered; nothing to requeue (purge it)\n`
                : `${o.id}: no such DLQ entry\n`,
            );
          }
        }
        io.stdout.write(`requeued ${outcomes.length - failed} of ${outcomes.length}\n`);
        return failed > 0 ? 1 : 0;
      }
      default: {
        const n = await purgeDlq(redis, keys, values.all ? [] : ids);
        io.stdout.write(`purged ${n} entr${n === 1 ? 'y' : 'ies'}\n`);
        return 0;
      }
    }
  } finally {
    await closeRedis(redis);
  }
}
