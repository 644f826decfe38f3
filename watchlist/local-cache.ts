/**
 * A small in-process LRU with a per-entry deadline, in front of Redis. Map insertion order is the
 * recency order: a hit re-inserts the key, the oldest key is evicted first.
 */
export class LocalCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();

  constructor(readonly maxEntries: number) {}

  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    if (e.until <= now) return undefined;
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    if (this.maxEntries <= 0 || ttlMs <= 0) return;
    this.map.delete(key);
    this.map.set(key, { value, until: now + ttlMs });
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
