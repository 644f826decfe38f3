import { isCluster, type RedisClient } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import type { EntryInput, WatchlistEntry } from './entry.ts';
import type { WatchlistStore } from './store.ts';

/**
 * Tells every lookup that the watchlist changed: bumps the generation (older cached answers are ignored),
 * deletes the cached answers of the changed plates, and publishes the new generation so every process
 * clears its in-process cache. Returns the new generation.
 *
 * On a Redis Cluster the generation and the cached answers lie in different slots, so they cannot share a
 * MULTI: the generation is bumped first (from then on every cached answer of the older one is stale, see
 * lookup.ts `fresh`), then the answers are deleted key by key; nothing can read a stale answer in between.
 */
export async function announceWatchlistChange(
  redis: RedisClient,
  keys: StreamKeys,
  plates: string[],
): Promise<number> {
  if (isCluster(redis)) {
    const v = await redis.incr(keys.watchlistVersion);
    for (let i = 0; i < plates.length; i += 500) {
      await Promise.all(plates.slice(i, i + 500).map((p) => redis.unlink(keys.watchlistCache(p))));
    }
    await redis.publish(keys.watchlistChannel, String(v));
    return v;
  }
  const tx = redis.multi().incr(keys.watchlistVersion);
  for (let i = 0; i < plates.length; i += 1000) {
    tx.unlink(...plates.slice(i, i + 1000).map((p) => keys.watchlistCache(p)));
  }
  const replies = await tx.exec();
  const err = replies?.find(([e]) => e)?.[0];
  if (err) throw err;
  const v = Number(replies?.[0]?.[1]);
  await redis.publish(keys.watchlistChannel, String(v));
  return v;
}

/** Writes through the store and invalidates caches right after each commit (what the CLI uses). */
export class WatchlistAdmin {
  constructor(
    readonly store: WatchlistStore,
    private readonly redis: RedisClient | undefined,
    private readonly keys: StreamKeys,
  ) {}

  private async announce(plates: string[]): Promise<void> {
    if (this.redis && plates.length) await announceWatchlistChange(this.redis, this.keys, plates);
  }

  async add(input: EntryInput): Promise<{ entry: WatchlistEntry; created: boolean }> {
    const { entries, inserted } = await this.store.upsert([input]);
    await this.announce([input.plate]);
    return { entry: entries[0]!, created: inserted === 1 };
  }

  async remove(plates: string[]): Promise<string[]> {
    const removed = await this.store.remove(plates);
    await this.announce(removed);
    return removed;
  }

  async importAll(inputs: EntryInput[]): Promise<{ inserted: number; updated: number }> {
    const r = await this.store.importAll(inputs);
    await this.announce(inputs.map((i) => i.plate));
    return r;
  }
}
