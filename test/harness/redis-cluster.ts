import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
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

/**
 * One local cluster for the test file (or describe block) that calls it: started in beforeAll (60 s limit),
 * destroyed in afterAll. The returned object forwards to it, so tests read `t.client`, `t.config()` ... as
 * with useRedisCluster; touching it outside a test (before beforeAll ran) throws.
 */
export function clusterPerFile(opts: RedisClusterOptions = {}): TestRedisCluster {
  let current: TestRedisCluster | undefined;
  beforeAll(async () => {
    current = await useRedisCluster(opts);
  }, 60_000);
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const t = (): TestRedisCluster => {
    if (!current) throw new Error('clusterPerFile: the cluster exists only inside tests (after beforeAll)');
    return current;
  };
  return {
    get cluster() {
      return t().cluster;
    },
    get url() {
      return t().url;
    },
    get nodeList() {
      return t().nodeList;
    },
    get client() {
      return t().client;
    },
    config: (prefix) => t().config(prefix),
    cleanup: (prefix) => t().cleanup(prefix),
    close: () => t().close(),
  };
}
