import type { RedisOptions } from 'ioredis';

/**
 * Redis Cluster addresses. A cluster is named by REDIS_CLUSTER_NODES=host:port,... (with REDIS_URL still
 * giving TLS and ACL) or by one URL, `redis+cluster://[user:password@]h1:p1[,h2:p2...]` (rediss+cluster://
 * for TLS, `?insecure=true` to skip certificate checks as with rediss://). readRedisConfig folds both forms
 * into the cluster URL, so RedisConfig.url alone says which client createRedis builds.
 */

/** A Redis Cluster URL: redis+cluster:// or rediss+cluster:// (TLS), then [user:password@]host:port[,host:port...]. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url);
}

export interface ClusterUrlParts {
  /** Seed nodes (any reachable ones; the client discovers the rest with CLUSTER SLOTS). */
  nodes: { host: string; port: number }[];
  /** Options every node connection uses: TLS, ACL user, password. */
  nodeOptions: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
}

/**
 * Parses `redis+cluster://[user:password@]h1:p1[,h2:p2...][?insecure=true]` (rediss+cluster:// for TLS).
 * Throws an Error naming what is wrong (readRedisConfig turns it into a REDIS_URL problem).
 */
export function parseClusterUrl(url: string): ClusterUrlParts {
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(url);
  if (!m) throw new Error('expected redis+cluster://[user:password@]host:port[,host:port...]');
  const [, scheme, userinfo, hostList, path, query] = m;
  if (path && path !== '/' && path !== '/0') {
    throw new Error(`a Redis Cluster has only database 0 (the URL names "${path}")`);
  }
  const nodes = (hostList ?? '')
    .split(',')
    .filter((h) => h !== '')
    .map((h) => {
      const hm = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(h);
      const port = hm?.[2] ? Number(hm[2]) : 6379;
      if (!hm || port < 1 || port > 65535) throw new Error(`"${h}" is not host:port`);
      return { host: (hm[1] as string).replace(/^\[|\]$/g, ''), port };
    });
  if (nodes.length === 0) throw new Error('the URL names no node; give at least one host:port');
  const nodeOptions: ClusterUrlParts['nodeOptions'] = {};
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    const password = colon === -1 ? '' : userinfo.slice(colon + 1);
    // As with redis:// URLs (redisOptionsFromUrl): user:password@, either part may be empty (:password@).
    if (user) nodeOptions.username = decodeURIComponent(user);
    if (password) nodeOptions.password = decodeURIComponent(password);
  }
  if ((scheme as string).toLowerCase() === 'rediss') {
    nodeOptions.tls =
      new URLSearchParams(query ?? '').get('insecure') === 'true' ? { rejectUnauthorized: false } : {};
  }
  return { nodes, nodeOptions };
}

/** Builds the cluster URL from REDIS_CLUSTER_NODES and the scheme, user and password of REDIS_URL. */
export function clusterUrlFrom(nodeList: string, baseUrl: string): string {
  const u = new URL(baseUrl);
  const scheme = u.protocol === 'rediss:' ? 'rediss' : 'redis';
  const userinfo = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const query = u.searchParams.get('insecure') === 'true' ? '?insecure=true' : '';
  const nodes = nodeList
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
    .join(',');
  return `${scheme}+cluster://${userinfo}${nodes}${query}`;
}
