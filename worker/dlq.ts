import type { RedisClient } from '../shared/redis/connection.ts';
import { fieldMap } from '../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { asPartitions, type Partitions } from '../shared/redis/partitions.ts';
import { mergedOldestFirst, parsePartitionedId, partitionedId } from '../shared/redis/stream/merged.ts';
import { runScript } from '../shared/redis/scripts.ts';

export interface DlqEntry {
  id: string;
  /** Every field as text, except `img` which is summarised (`<N bytes>`). */
  fields: Record<string, string>;
  /** The raw image bytes, when the entry has any. */
  img?: Buffer;
}

function toEntry(id: Buffer | string, raw: Buffer[]): DlqEntry {
  const fields: Record<string, string> = {};
  let img: Buffer | undefined;
  for (const [k, v] of fieldMap(raw)) {
    if (k === 'img') {
      img = v;
      fields.img = `<${v.length} bytes>`;
    } else {
      fields[k] = v.toString('utf8');
    }
  }
  return { id: id.toString(), fields, img };
}

/**
 * Dead letters of every partition, oldest first in the merged order; ids are `<id>@<p>` with
 * LPR_PARTITIONS > 1 (shared/redis/stream/merged.ts), and `after` takes the same form.
 */
export async function listDlq(
  redis: RedisClient,
  keys: StreamKeys | Partitions,
  opts: { count?: number; after?: string } = {},
): Promise<DlqEntry[]> {
  const parts = asPartitions(keys);
  const cursor = opts.after !== undefined ? parsePartitionedId(opts.after) : undefined;
  if (opts.after !== undefined && !cursor)
    throw new PlatestreamError('BAD_REQUEST', `"${opts.after.slice(0, 40)}" is not a DLQ entry id`);
  const count = opts.count ?? 50;
  const out: DlqEntry[] = [];
  const streams = parts.all.map((k) => k.dlq);
  for await (const e of mergedOldestFirst(redis, streams, { start: '-', end: '+', cursor, page: count })) {
    // Merged reads are text; the image is read as bytes for the entries listed.
    const rows = (await redis.xrangeBuffer(streams[e.partition]!, e.id, e.id)) as unknown as [
      Buffer,
      Buffer[],
    ][];
    if (rows[0]) out.push(toEntry(partitionedId(e.id, e.partition, parts.count), rows[0][1]));
    if (out.length >= count) break;
  }
  return out;
}

/** The partitions an id may be in: `<id>@<p>` names one, a plain id may be in any. */
function locate(parts: Partitions, text: string): { id: string; ps: number[] } | undefined {
  const pid = parsePartitionedId(text);
  if (!pid || (pid.partition !== undefined && pid.partition >= parts.count)) return undefined;
  return { id: pid.id, ps: pid.partition !== undefined ? [pid.partition] : parts.all.map((_, p) => p) };
}

export async function getDlqEntry(
  redis: RedisClient,
  keys: StreamKeys | Partitions,
  text: string,
): Promise<DlqEntry | undefined> {
  const parts = asPartitions(keys);
  const at = locate(parts, text);
  for (const p of at?.ps ?? []) {
    const rows = (await redis.xrangeBuffer(parts.all[p]!.dlq, at!.id, at!.id)) as unknown as [
      Buffer,
      Buffer[],
    ][];
    const row = rows[0];
    if (row) return toEntry(partitionedId(at!.id, p, parts.count), row[1]);
  }
  return undefined;
}

export type RequeueOutcome = { id: string; frameId?: string; problem?: 'not-found' | 'missing' };

/**
 * Puts one DLQ entry back on its partition's frames stream and removes it from the DLQ, atomically
 * (dlqRequeue-2.lua: the DLQ and the frames stream of one partition, one hash slot).
 */
export async function requeueDlqEntry(
  redis: RedisClient,
  keys: StreamKeys | Partitions,
  text: string,
): Promise<RequeueOutcome> {
  const parts = asPartitions(keys);
  const at = locate(parts, text);
  for (const p of at?.ps ?? []) {
    const k = parts.all[p]!;
    const reply = await runScript<string | null>(redis, 'dlqRequeue', [k.dlq, k.frames], [at!.id]);
    if (reply === null) continue;
    const id = partitionedId(at!.id, p, parts.count);
    if (reply === 'missing') return { id, problem: 'missing' };
    return { id, frameId: partitionedId(String(reply), p, parts.count) };
  }
  return { id: text, problem: 'not-found' };
}

/** Requeues every DLQ entry present when called; returns one outcome per entry. */
export async function requeueAll(
  redis: RedisClient,
  keys: StreamKeys | Partitions,
): Promise<RequeueOutcome[]> {
  const parts = asPartitions(keys);
  const out: RequeueOutcome[] = [];
  for (const [p, k] of parts.all.entries()) {
    let after: string | undefined;
    for (;;) {
      const ids = (
        (await redis.xrange(k.dlq, after ? `(${after}` : '-', '+', 'COUNT', 200)) as [string, unknown][]
      ).map((r) => r[0]);
      if (ids.length === 0) break;
      for (const id of ids) out.push(await requeueDlqEntry(redis, parts, partitionedId(id, p, parts.count)));
      after = ids[ids.length - 1];
    }
  }
  return out;
}

/** Deletes the given DLQ entries, or every partition's whole DLQ when `ids` is empty. Returns how many were removed. */
export async function purgeDlq(
  redis: RedisClient,
  keys: StreamKeys | Partitions,
  ids: string[] = [],
): Promise<number> {
  const parts = asPartitions(keys);
  let n = 0;
  if (ids.length > 0) {
    for (const text of ids) {
      const at = locate(parts, text);
      for (const p of at?.ps ?? []) n += await redis.xdel(parts.all[p]!.dlq, at!.id);
    }
    return n;
  }
  for (const k of parts.all) {
    n += await redis.xlen(k.dlq);
    await redis.del(k.dlq);
  }
  return n;
}
