import type { Redis } from 'ioredis';
import type { StreamKeys } from './keys.ts';

/** Deletes every key of a prefix with SCAN + UNLINK (never KEYS). For tests, benchmarks and demos. */
export async function deleteKeysOfPrefix(redis: Redis, keys: StreamKeys): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.scanPattern, 'COUNT', 500);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}
