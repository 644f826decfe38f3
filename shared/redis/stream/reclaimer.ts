import type { RedisClient } from '../connection.ts';
import type { Logger } from '../../logger.ts';
import { MIN_ENTRY_ID } from './entry-id.ts';
import type { StreamEntry } from './stream-entry.ts';

/**
 * Takes over entries of one consumer group that have been pending longer than `minIdleMs` (their consumer
 * crashed, hung or gave up after a transient failure): XAUTOCLAIM, then one XPENDING range call for the
 * delivery counts. Entries delivered more than `maxDeliveries` times go to the `deadLetter` callback instead
 * of the handler. Shared by the worker, the notifier and the stages to come (events).
 *
 * API: `new Reclaimer({ redis, stream, group, consumer, minIdleMs, deadLetters?, hooks?, logger? })`
 * - `runOnce(max, handle)`: claims up to `max` entries from where the last round stopped and awaits
 *   `handle(entries)` with the ones to process (each with its `deliveries`); resolves to
 *   `{ claimed, complete }` (`claimed` counts dead-lettered entries too; `complete` when the scan of the
 *   pending list wrapped around).
 * - `claimAll(handle, { pageSize?, maxRounds? })`: rounds from the start of the pending list until it
 *   wrapped; resolves to the number claimed.
 * - hooks: `onClaimed(entries)` (before any handling, e.g. counters), `onGone(count)` (pending entries that
 *   no longer exist in the stream).
 *
 * Redis 7 returns entries deleted or trimmed while pending in a third reply element (and drops them from the
 * pending list itself); they are counted, never processed. Redis 6.2 returns them as nil entries: those are
 * acknowledged here so they do not stay pending forever.
 */

/** A claimed entry and how many times it has been delivered (this claim included). */
export interface ClaimedEntry extends StreamEntry {
  deliveries: number;
}

export interface DeadLetterPolicy {
  /** Entries delivered more than this many times are dead-lettered instead of handled. */
  maxDeliveries: number;
  /**
   * Moves one entry out of the group (e.g. a DLQ script that acknowledges it). A throw is logged and the
   * entry stays pending for the next round.
   */
  deadLetter(entry: ClaimedEntry): Promise<void>;
}

export interface ReclaimerHooks {
  onClaimed?(entries: readonly ClaimedEntry[]): void | Promise<void>;
  onGone?(count: number): void;
}

export interface ReclaimerOptions {
  /** A non-blocking connection (role consumer). */
  redis: RedisClient;
  stream: string;
  group: string;
  /** This process's consumer name; claimed entries move to it. */
  consumer: string;
  /** Pending entries idle at least this long are claimed (longer than the worst-case processing time). */
  minIdleMs: number;
  /** Without it, every claimed entry is handed on whatever its delivery count. */
  deadLetters?: DeadLetterPolicy;
  hooks?: ReclaimerHooks;
  logger?: Logger;
}

export interface ReclaimRound {
  /** Entries claimed this round (handed on or dead-lettered). */
  claimed: number;
  /** The scan reached the end of the pending list (the next round starts from its beginning). */
  complete: boolean;
}

type AutoClaimReply = [Buffer, ([Buffer, Buffer[] | null] | null)[], Buffer[]?];
type PendingRow = [string, string, number, number];

export class Reclaimer {
  private cursor = MIN_ENTRY_ID;

  constructor(private readonly opts: ReclaimerOptions) {}

  /** One XAUTOCLAIM round of at most `max` entries, continuing where the previous round stopped. */
  async runOnce(
    max: number,
    handle: (entries: ClaimedEntry[]) => void | Promise<void>,
  ): Promise<ReclaimRound> {
    const o = this.opts;
    const reply = (await o.redis.callBuffer(
      'XAUTOCLAIM',
      o.stream,
      o.group,
      o.consumer,
      o.minIdleMs,
      this.cursor,
      'COUNT',
      Math.max(1, max),
    )) as unknown as AutoClaimReply;
    this.cursor = reply[0].toString('latin1');
    const complete = this.cursor === MIN_ENTRY_ID;
    const deleted = reply[2] ?? [];
    if (deleted.length > 0) {
      o.hooks?.onGone?.(deleted.length);
      o.logger?.warn(
        { stream: o.stream, group: o.group, count: deleted.length, first: deleted[0]?.toString('latin1') },
        'pending entries no longer exist in the stream (trimmed or deleted); Redis dropped them from the PEL',
      );
    }
    const entries: StreamEntry[] = [];
    const gone: string[] = [];
    for (const item of reply[1]) {
      if (!item) continue;
      const id = item[0].toString('latin1');
      if (item[1] === null) gone.push(id);
      else entries.push({ stream: o.stream, id, fields: item[1] });
    }
    if (gone.length > 0) {
      await o.redis.xack(o.stream, o.group, ...gone);
      o.hooks?.onGone?.(gone.length);
    }
    if (entries.length === 0) return { claimed: 0, complete };

    const counts = await this.deliveryCounts(entries.map((e) => e.id));
    const claimed: ClaimedEntry[] = entries.map((e) => ({ ...e, deliveries: counts.get(e.id) ?? 1 }));
    await o.hooks?.onClaimed?.(claimed);
    const policy = o.deadLetters;
    const keep: ClaimedEntry[] = [];
    for (const entry of claimed) {
      if (!policy || entry.deliveries <= policy.maxDeliveries) {
        keep.push(entry);
        continue;
      }
      try {
        await policy.deadLetter(entry);
      } catch (err) {
        o.logger?.warn(
          { err, stream: o.stream, entry: entry.id },
          'could not dead-letter entry; it stays pending',
        );
      }
    }
    if (keep.length > 0) await handle(keep);
    return { claimed: claimed.length, complete };
  }

  /** Rounds from the start of the pending list until it wrapped (or maxRounds); the number claimed. */
  async claimAll(
    handle: (entries: ClaimedEntry[]) => void | Promise<void>,
    opts: { pageSize?: number; maxRounds?: number } = {},
  ): Promise<number> {
    this.cursor = MIN_ENTRY_ID;
    let total = 0;
    for (let round = 0; round < (opts.maxRounds ?? 100); round++) {
      const r = await this.runOnce(opts.pageSize ?? 100, handle);
      total += r.claimed;
      if (r.complete) break;
    }
    return total;
  }

  /** Delivery counts of just-claimed entries (now owned by this consumer), from one XPENDING range call. */
  private async deliveryCounts(ids: string[]): Promise<Map<string, number>> {
    const o = this.opts;
    const rows = (await o.redis.xpending(
      o.stream,
      o.group,
      ids[0]!,
      ids[ids.length - 1]!,
      ids.length + 1000,
      o.consumer,
    )) as PendingRow[];
    const out = new Map<string, number>();
    for (const row of rows) out.set(String(row[0]), Number(row[3]));
    for (const id of ids) {
      if (out.has(id)) continue;
      const one = (await o.redis.xpending(o.stream, o.group, id, id, 1)) as PendingRow[];
      if (one[0]) out.set(id, Number(one[0][3]));
    }
    return out;
  }
}
