import type { RedisClient } from '../connection.ts';
import { isBusyGroup, isRedisError, REDIS_ERROR } from '../reply-error.ts';
import { parseGroupInfo } from './group-info.ts';

/**
 * Consumer-group creation, written once for every stage.
 *
 * API: `ensureGroup(redis, stream, group, { startId })` → true when it created the group, false when the
 * group existed (BUSYGROUP); `ensureGroups(redis, streams, group, opts)` for the partitions of one stage.
 * Both create the stream when missing (MKSTREAM) and rethrow any other error as it came.
 *
 * At maxmemory with noeviction Redis refuses XGROUP CREATE with OOM before it looks for the group, even when
 * the group exists; that answer is then checked with XINFO GROUPS (a read) so that a worker starting while
 * Redis is full (the moment more workers are needed) finds its existing group instead of exiting.
 */

export interface EnsureGroupOptions {
  /** Where a new group starts: '0' (default) delivers what the stream already holds, '$' only new entries. */
  startId?: string;
}

/** XGROUP CREATE <stream> <group> <startId> MKSTREAM, tolerating an existing group. */
export async function ensureGroup(
  redis: RedisClient,
  stream: string,
  group: string,
  opts: EnsureGroupOptions = {},
): Promise<boolean> {
  try {
    await redis.xgroup('CREATE', stream, group, opts.startId ?? '0', 'MKSTREAM');
    return true;
  } catch (err) {
    if (isBusyGroup(err)) return false;
    if (isRedisError(err, REDIS_ERROR.OOM) && (await groupExists(redis, stream, group))) return false;
    throw err;
  }
}

async function groupExists(redis: RedisClient, stream: string, group: string): Promise<boolean> {
  try {
    return parseGroupInfo(await redis.xinfo('GROUPS', stream)).some((g) => g.name === group);
  } catch {
    return false;
  }
}

/** ensureGroup on each stream (one per partition); resolves to the streams where the group was created. */
export async function ensureGroups(
  redis: RedisClient,
  streams: readonly string[],
  group: string,
  opts: EnsureGroupOptions = {},
): Promise<string[]> {
  const created: string[] = [];
  for (const stream of streams) if (await ensureGroup(redis, stream, group, opts)) created.push(stream);
  return created;
}
