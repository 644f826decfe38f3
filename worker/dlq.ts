import type { RedisClient } from '../shared/redis/connection.ts';
import { fieldMap } from '../shared/codec/frame-codec.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
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

export async function listDlq(
  redis: RedisClient,
  keys: StreamKeys,
  opts: { count?: number; after?: string } = {},
): Promise<DlqEntry[]> {
  const start = opts.after ? `(${opts.after}` : '-';
  const rows = (await redis.xrangeBuffer(keys.dlq, start, '+', 'COUNT', opts.count ?? 50)) as unknown as [
    Buffer,
    Buffer[],
  ][];
  return rows.map(([id, raw]) => toEntry(id, raw));
}

export async function getDlqEntry(
  redis: RedisClient,
  keys: StreamKeys,
  id: string,
): Promise<DlqEntry | undefined> {
  const rows = (await redis.xrangeBuffer(keys.dlq, id, id)) as unknown as [Buffer, Buffer[]][];
  const row = rows[0];
  return row ? toEntry(row[0], row[1]) : undefined;
}

export type RequeueOutcome = { id: string; frameId?: string; problem?: 'not-found' | 'missing' };

/** Puts one DLQ entry back on the frames stream and removes it from the DLQ, atomically (dlqRequeue-2.lua). */
export async function requeueDlqEntry(
  redis: RedisClient,
  keys: StreamKeys,
  id: string,
): Promise<RequeueOutcome> {
  const reply = await runScript<string | null>(redis, 'dlqRequeue', [keys.dlq, keys.frames], [id]);
  if (reply === null) return { id, problem: 'not-found' };
  if (reply === 'missing') return { id, problem: 'missing' };
  return { id, frameId: String(reply) };
}

/** Requeues every DLQ entry present when called; returns one outcome per entry. */
export async function requeueAll(redis: RedisClient, keys: StreamKeys): Promise<RequeueOutcome[]> {
  const out: RequeueOutcome[] = [];
  let after: string | undefined;
  for (;;) {
    const ids = (
      (await redis.xrange(keys.dlq, after ? `(${after}` : '-', '+', 'COUNT', 200)) as [string, unknown][]
    ).map((r) => r[0]);
    if (ids.length === 0) return out;
    for (const id of ids) out.push(await requeueDlqEntry(redis, keys, id));
    after = ids[ids.length - 1];
  }
}

/** Deletes the given DLQ entries, or the whole DLQ when `ids` is empty. Returns how many were removed. */
export async function purgeDlq(redis: RedisClient, keys: StreamKeys, ids: string[] = []): Promise<number> {
  if (ids.length > 0) return redis.xdel(keys.dlq, ...ids);
  const n = await redis.xlen(keys.dlq);
  await redis.del(keys.dlq);
  return n;
}
