import { Queue } from 'bullmq';
import { isCluster, type RedisClient } from '../shared/redis/connection.ts';
import { type StreamKeys, WEBHOOK_QUEUE } from '../shared/redis/keys.ts';
import type { AlertJobData } from './deliver.ts';

/** The BullMQ queue of webhook jobs (one per alert, job id = alert stream id), for the notifier and `platestream alerts`. */
export function webhookQueue(connection: RedisClient, keys: StreamKeys): Queue<AlertJobData> {
  return new Queue<AlertJobData>(WEBHOOK_QUEUE, { connection, prefix: webhookQueuePrefix(connection, keys) });
}

/** The BullMQ prefix of the webhook queue on this connection (braced on a Redis Cluster: StreamKeys.queuePrefixFor). */
export function webhookQueuePrefix(connection: RedisClient, keys: StreamKeys): string {
  return keys.queuePrefixFor(isCluster(connection));
}

/** Key prefix of the webhook queue's own keys (`<queue prefix>:webhooks`), for code that reads them directly. */
export function webhookQueueKeyPrefix(connection: RedisClient, keys: StreamKeys): string {
  return `${webhookQueuePrefix(connection, keys)}:${WEBHOOK_QUEUE}`;
}
