import type { RedisClient } from './connection.ts';
import type { Logger } from '../logger.ts';

/** Whether Redis logs every write to its append-only file: `unknown` when CONFIG is renamed or refused (ACL). */
export type AppendOnly = 'yes' | 'no' | 'unknown';

/**
 * CONFIG GET appendonly. Exactly-once needs `appendonly yes`: without the AOF a Redis crash loses frames
 * ingest already answered 202 for, and results that were acknowledged. CONFIG may be renamed away or denied
 * to the ACL user: then the answer is `unknown`, never an error.
 */
export async function readAppendOnly(redis: RedisClient): Promise<AppendOnly> {
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'appendonly')) as unknown;
    // RESP2: ['appendonly', 'yes']; RESP3: { appendonly: 'yes' } (ioredis may hand either shape back).
    const value = Array.isArray(reply)
      ? reply[1]
      : reply instanceof Map
        ? reply.get('appendonly')
        : (reply as Record<string, unknown> | null)?.appendonly;
    const text = value === undefined || value === null ? '' : String(value).toLowerCase();
    return text === 'yes' ? 'yes' : text === 'no' ? 'no' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The gauge value of platestream_redis_appendonly: 1 yes, 0 no, -1 unknown. */
export function appendOnlyGaugeValue(a: AppendOnly): number {
  return a === 'yes' ? 1 : a === 'no' ? 0 : -1;
}

/**
 * Start-up check shared by ingest and workers: logs loudly (warn) when Redis runs without AOF, once at
 * info when it cannot tell. Returns the reading for a gauge. Never throws.
 */
export async function checkAppendOnly(redis: RedisClient, logger: Logger): Promise<AppendOnly> {
  const a = await readAppendOnly(redis);
  if (a === 'no') {
    logger.warn(
      { appendonly: 'no' },
      'REDIS PERSISTENCE OFF: Redis runs with appendonly no, so a Redis crash loses frames already answered 202 and acknowledged results; exactly-once needs "appendonly yes" (CONFIG SET appendonly yes, and in redis.conf)',
    );
  } else if (a === 'unknown') {
    logger.info(
      { appendonly: 'unknown' },
      'cannot read Redis persistence (CONFIG GET appendonly renamed or denied); make sure the server runs with appendonly yes',
    );
  }
  return a;
}
