import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './connection.ts';
import { keySlot } from './key-slot.ts';

/**
 * WAIT for replicas after a write (LPR_WAIT_REPLICAS): Redis replication is asynchronous, so a write the
 * master acknowledged is lost if the master dies before a replica has it. `WAIT n timeout` blocks until n
 * replicas acknowledged every earlier write **of the same connection**, so it must go over the connection
 * that carried the write, to the node that holds the key:
 * - one server: the connection itself;
 * - a Redis Cluster: the ioredis node connection of the master serving the key's slot (the Cluster client
 *   sends each command there; WAIT has no key, so the client cannot route it by itself). WAIT is not allowed
 *   inside Lua, hence a separate command after the write.
 *
 * Use: `const node = rw.nodeFor(key)` before the write, then `await rw.confirm(key, node)` after it. When the
 * slot's master changed in between (a failover), the write may have gone to the old master: confirm answers
 * `{ acked: 0, moved: true }` (not confirmed) rather than WAIT on the new master, whose WAIT would count
 * replicas of writes it never received.
 */
export class ReplicaWait {
  constructor(
    private readonly redis: RedisClient,
    readonly replicas: number,
    readonly timeoutMs: number,
  ) {}

  /** The node connection that takes writes to `key` now (undefined while a cluster's slot map lacks it). */
  nodeFor(key: string): Redis | undefined {
    const redis = this.redis;
    if (!isCluster(redis)) return redis;
    const master = redis.slots[keySlot(key)]?.[0];
    if (master === undefined) return undefined;
    return redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master);
  }

  /** WAITs on `node` (from nodeFor before the write) for `replicas` acknowledgements. */
  async confirm(key: string, node: Redis | undefined): Promise<{ acked: number; moved: boolean }> {
    const now = this.nodeFor(key);
    if (node === undefined || now !== node) return { acked: 0, moved: true };
    const acked = Number(await node.call('WAIT', this.replicas, this.timeoutMs));
    return { acked, moved: false };
  }
}
