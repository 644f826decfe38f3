import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './connection.ts';

/**
 * The connections SCAN must visit to see every key: the server itself, or on a Redis Cluster each master
 * (SCAN is per node; a cluster client would send it to one node only, or mix cursors of several).
 */
export function scanTargets(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/**
 * Every key matching `pattern` (SCAN MATCH, never KEYS), in batches, over every master on a cluster. Each
 * batch comes with the node connection that holds its keys: multi-key commands on a cluster must stay in one
 * slot, so act on a batch key by key (a pipeline on `node` is fine: the node owns those keys).
 */
export async function* scanKeys(
  redis: RedisClient,
  pattern: string,
  opts: { count?: number } = {},
): AsyncGenerator<{ node: Redis; keys: string[] }> {
  for (const node of scanTargets(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', opts.count ?? 500);
      cursor = next;
      if (keys.length) yield { node, keys };
    } while (cursor !== '0');
  }
}

/** UNLINKs keys found on one node: one command on a standalone server, one per key (pipelined) on a cluster. */
export async function unlinkOnNode(redis: RedisClient, node: Redis, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  if (!isCluster(redis)) {
    await node.unlink(...keys);
    return;
  }
  const replies = await node.pipeline(keys.map((k) => ['unlink', k])).exec();
  const failed = replies?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
