import { Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis/connection.ts';
import { type StreamKeys, WEBHOOK_QUEUE } from '../shared/redis/keys.ts';
import type { AlertJobData } from './deliver.ts';

/** The BullMQ queue of webhook jobs (one per alert, job id = alert stream id), for the notifier and `platestream alerts`. */
export function webhookQueue(connection: RedisClient, keys: StreamKeys): Queue<AlertJobData> {
  return new Queue<AlertJobData>(WEBHOOK_QUEUE, { connection, prefix: keys.queuePrefix });
}
