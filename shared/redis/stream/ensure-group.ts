import type { Redis } from 'ioredis';
import { isBusyGroup } from '../reply-error.ts';

/**
 * Consumer-group creation, written once for every stage.
 *
 * API: `ensureGroup(redis, stream, group, { startId })` → true when it created the group, false when the
 * group existed (BUSYGROUP); `ensureGroups(redis, streams, group, opts)` for the partitions of one stage.
 * Both create the stream when missing (MKSTREAM) and rethrow any other error as it came.
 */

export interface EnsureGroupOptions {
  /** Where a new group starts: '0' (default) delivers what the stream already holds, '$' only new entries. */
  startId?: string;
}

/** XGROUP CREATE <stream> <group> <startId> MKSTREAM, tolerating an existing group. */
export async function ensureGroup(
  redis: Redis,
  stream: string,
  group: string,
  opts: EnsureGroupOptions = {},
): Promise<boolean> {
  try {
    await redis.xgroup('CREATE', stream, group, opts.startId ?? '0', 'MKSTREAM');
    return true;
  } catch (err) {
    if (isBusyGroup(err)) return false;
    throw err;
  }
}

/** ensureGroup on each stream (one per partition); resolves to the streams where the group was created. */
export async function ensureGroups(
  redis: Redis,
  streams: readonly string[],
  group: string,
  opts: EnsureGroupOptions = {},
): Promise<string[]> {
  const created: string[] = [];
  for (const stream of streams) if (await ensureGroup(redis, stream, group, opts)) created.push(stream);
  return created;
}
