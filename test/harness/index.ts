/**
 * The test harness's public entry for every room's tests (and nothing else: benchmarks use shared/).
 * - useRedis / uniquePrefix / canOwnServer: a Redis per test file, unique key prefixes (redis.ts);
 * - useRedisCluster / canOwnCluster: a local Redis Cluster (3 masters + 3 replicas) per test file (redis-cluster.ts);
 * - usePostgres / canOwnPostgres: a PostgreSQL per test file (postgres.ts);
 * - spawnNode / spawnPlatestream / runNode / killChildren: real processes (child-process.ts);
 * - silentLogger: the one quiet logger (TEST_LOG_LEVEL=debug shows the logs);
 * - freePort.
 */
import { createLogger } from '../../shared/logger.ts';

export { freePort } from '../../shared/util/free-port.ts';
export {
  type Child,
  killChildren,
  PLATESTREAM_BIN,
  ROOT,
  runNode,
  type SpawnOptions,
  spawnNode,
  spawnPlatestream,
} from './child-process.ts';
export { canOwnPostgres, type TestPostgres, usePostgres } from './postgres.ts';
export { canOwnServer, type TestRedis, uniquePrefix, useRedis } from './redis.ts';
export { canOwnCluster, clusterPerFile, type TestRedisCluster, useRedisCluster } from './redis-cluster.ts';

/** The logger tests hand to components: silent unless TEST_LOG_LEVEL is set. */
export const silentLogger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
