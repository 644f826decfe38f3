import { isCluster, type RedisClient } from './connection.ts';

/**
 * DELs a list of keys and returns how many existed. One DEL per 1000 keys on one server; on a Redis Cluster
 * one DEL per key (keys of different slots cannot share a command), 500 at a time.
 */
export async function deleteKeys(redis: RedisClient, keys: readonly string[]): Promise<number> {
  let n = 0;
  if (isCluster(redis)) {
    for (let i = 0; i < keys.length; i += 500) {
      const counts = await Promise.all(keys.slice(i, i + 500).map((k) => redis.del(k)));
      n += counts.reduce((a, b) => a + b, 0);
    }
    return n;
  }
  for (let i = 0; i < keys.length; i += 1000) n += await redis.del(...keys.slice(i, i + 1000));
  return n;
}
