import { Cluster } from 'ioredis';
import { REDIS_DEFAULTS, type RedisConfig } from '../../shared/config/redis-config.ts';
import { deleteKeysOfPrefix } from '../../shared/redis/delete-prefix.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import {
  canStartLocalCluster,
  LocalRedisCluster,
  type RedisClusterOptions,
} from '../../shared/redis/local-redis-cluster.ts';
import { uniquePrefix } from './redis.ts';

/** A private local Redis Cluster for one test file (3 masters + 3 replicas unless told otherwise). */
export interface TestRedisCluster {
  /** The node processes: kill/restart nodes, find the master of a key, wait for a failover. */
  cluster: LocalRedisCluster;
  /** `redis+cluster://127.0.0.1:p1,...` (REDIS_URL for child processes). */
  url: string;
  /** `127.0.0.1:p1,...` (REDIS_CLUSTER_NODES for child processes). */
  nodeList: string;
  /** A plain ioredis Cluster client for assertions (follows failovers); closed by close(). */
  client: Cluster;
  /** A RedisConfig naming this cluster with a fresh unique prefix. */
  config(prefix?: string): RedisConfig;
  /** Deletes every key of a prefix on every master. */
  cleanup(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether this machine can start a local cluster (redis-server and redis-cli). Cluster tests use
 * `describe.skipIf(!canOwnCluster())`; .ci/run installs both, so CI always runs them.
 */
export function canOwnCluster(): boolean {
  return canStartLocalCluster();
}

export async function useRedisCluster(opts: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const cluster = await LocalRedisCluster.start(opts);
  const client = new Cluster(
    cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    { scaleReads: 'master', retryDelayOnFailover: 200, retryDelayOnClusterDown: 200, maxRedirections: 200 },
  );
  client.on('error', () => {});
  return {
    cluster,
    url: cluster.url,
    nodeList: cluster.nodeList,
    client,
    config(prefix = uniquePrefix()) {
      return { ...REDIS_DEFAULTS, url: cluster.url, prefix, connectTimeoutMs: 1000, commandTimeoutMs: 2000 };
    },
    async cleanup(prefix: string) {
      await deleteKeysOfPrefix(client, new StreamKeys(prefix));
    },
    async close() {
      client.disconnect();
      await cluster.destroy();
    },
  };
}
