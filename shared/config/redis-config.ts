import { redactUrl } from '../redact-url.ts';
import { clusterUrlFrom, isClusterUrl, parseClusterUrl } from '../redis/cluster-url.ts';
import { setPlateKey } from '../redis/keys.ts';
import { MAX_PARTITIONS } from '../redis/partitions.ts';
import { deepFreeze, type EnvReader } from './env-reader.ts';

export interface RedisConfig {
  /**
   * Full connection URL: redis:// or rediss:// (TLS), optional user:password@, optional /db; or a Redis
   * Cluster, redis+cluster://[user:password@]host:port[,host:port...] (rediss+cluster:// for TLS), which
   * readRedisConfig also builds from REDIS_CLUSTER_NODES.
   */
  url: string;
  /** Key prefix for every key this project writes (LPR_PREFIX). */
  prefix: string;
  /**
   * Partitions of the streams (LPR_PARTITIONS, default 1 = the plain `lpr:frames` layout). A camera maps to
   * one partition by a hash of its id (shared/redis/partitions.ts); see docs/partitions.md.
   */
  partitions: number;
  /** How long a producer waits for a TCP connect before failing (ms). */
  connectTimeoutMs: number;
  /** Per-command deadline on producer connections; past it the command fails instead of hanging (ms). */
  commandTimeoutMs: number;
}

export const REDIS_DEFAULTS: RedisConfig = {
  url: 'redis://127.0.0.1:6379',
  prefix: 'lpr',
  partitions: 1,
  connectTimeoutMs: 2000,
  commandTimeoutMs: 2000,
};

const PREFIX_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function readRedisConfig(r: EnvReader): RedisConfig {
  // Pseudonymised plate key names (docs/privacy.md): one secret per deployment, read with the Redis settings.
  setPlateKey(r.optionalString('LPR_PLATE_KEY'));
  let url = r.string('REDIS_URL', REDIS_DEFAULTS.url);
  const problem = checkRedisUrl(url);
  if (problem) r.problem('REDIS_URL', problem);
  const nodeList = r.optionalString('REDIS_CLUSTER_NODES');
  if (nodeList !== undefined && !problem) {
    if (isClusterUrl(url)) {
      r.problem(
        'REDIS_CLUSTER_NODES',
        'give the cluster either here or as a redis+cluster:// REDIS_URL, not both',
      );
    } else if (!/^\/?0?$/.test(new URL(url).pathname)) {
      r.problem(
        'REDIS_URL',
        'a Redis Cluster has only database 0; drop the /db part when REDIS_CLUSTER_NODES is set',
      );
    } else {
      url = clusterUrlFrom(nodeList, url);
      const bad = checkRedisUrl(url);
      if (bad) {
        r.problem(
          'REDIS_CLUSTER_NODES',
          `${bad.replace(/^.*?: /, '')}; expected host:port[,host:port...] (TLS and user:password come from REDIS_URL)`,
        );
      }
    }
  }
  return deepFreeze({
    url,
    prefix: r.string('LPR_PREFIX', REDIS_DEFAULTS.prefix, {
      pattern: PREFIX_RE,
      hint: '1-64 characters of A-Z a-z 0-9 _ . - (no ":" or braces; the project adds those)',
    }),
    partitions: r.int('LPR_PARTITIONS', REDIS_DEFAULTS.partitions, { min: 1, max: MAX_PARTITIONS }),
    connectTimeoutMs: r.int('REDIS_CONNECT_TIMEOUT_MS', REDIS_DEFAULTS.connectTimeoutMs, {
      min: 50,
      max: 60_000,
    }),
    commandTimeoutMs: r.int('REDIS_COMMAND_TIMEOUT_MS', REDIS_DEFAULTS.commandTimeoutMs, {
      min: 50,
      max: 60_000,
    }),
  });
}

/** Returns a description of what is wrong with a Redis URL, or undefined when it is fine. */
export function checkRedisUrl(url: string): string | undefined {
  if (isClusterUrl(url)) {
    try {
      parseClusterUrl(url);
      return undefined;
    } catch (err) {
      return `"${redactUrl(url)}" is not a Redis Cluster URL: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${redactUrl(url)}" is not a URL; expected redis://[user:password@]host[:port][/db] or rediss://... for TLS`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return `protocol "${u.protocol}" is not supported; use redis:// or rediss:// (TLS), or redis+cluster:// for a Redis Cluster`;
  }
  if (!u.hostname) return 'the URL has no host';
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) return `database index "${db}" must be a number such as /0 or /2`;
  return undefined;
}
