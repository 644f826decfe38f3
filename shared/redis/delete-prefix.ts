import type { RedisClient } from './connection.ts';
import type { StreamKeys } from './keys.ts';
import { scanKeys, unlinkOnNode } from './scan-keys.ts';

/**
 * Deletes every key of a prefix with SCAN + UNLINK (never KEYS), on every master of a cluster. For tests,
 * benchmarks and demos.
 */
export async function deleteKeysOfPrefix(redis: RedisClient, keys: StreamKeys): Promise<void> {
  for await (const { node, keys: found } of scanKeys(redis, keys.scanPattern)) {
    await unlinkOnNode(redis, node, found);
  }
}
