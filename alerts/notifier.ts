import { type Job, type Queue, Worker } from 'bullmq';
import type { RedisClient } from '../shared/redis/connection.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { runAll } from '../shared/lifecycle.ts';
import type { Logger } from '../shared/logger.ts';
import { closeRedis, createRedis } from '../shared/redis/connection.ts';
import { NOTIFIER_GROUP, type StreamKeys, WEBHOOK_QUEUE } from '../shared/redis/keys.ts';
import { checkPartitions, type Partitions, partitionsOf } from '../shared/redis/partitions.ts';
import {
  BlockingReader,
  entryFields,
  ensureGroup,
  Reclaimer,
  type StreamEntry,
} from '../shared/redis/stream/index.ts';
import { delay } from '../shared/util/wait.ts';
import { decodeAlert } from './alert-codec.ts';
import { RateLimitedWarning } from '../shared/util/rate-limited-warning.ts';
import { attemptsFor, backoffDelay } from './backoff.ts';
import type { NotifierConfig } from './notifier-config.ts';
import { type AlertJobData, deliverAlert } from './deliver.ts';
import { webhookQueue, webhookQueuePrefix } from './webhook-queue.ts';

const BACKOFF_TYPE = 'platestream-jitter';

export interface NotifierStats {
  /** Alerts handed to BullMQ and acknowledged in the stream. */
  handedOver: number;
  /** Successful POSTs. */
  delivered: number;
  /** Failed POST attempts (each retried until the retry span is over). */
  failedAttempts: number;
}

/**
 * Moves alerts from the alerts stream into BullMQ and delivers them.
 *
 * Hand-over: read with XREADGROUP in the `notifier` group → `addBulk` with jobId = alert stream id →
 * XACK. A crash between the add and the XACK leaves the entry pending; it is read again (own pending
 * entries at start, others' after claimIdleMs via the shared Reclaimer) and re-added under the same job id,
 * which BullMQ ignores — so no alert is lost and none is queued twice. Reads go through the shared
 * BlockingReader (finite BLOCK, watchdog, group recreated on NOGROUP).
 *
 * Delivery: a BullMQ worker POSTs each alert (see deliverAlert) with exponential backoff and jitter for
 * retryForMs; jobs that run out of attempts stay in the failed set for `platestream alerts list|retry`.
 * A job that was active in a killed notifier is retried by any notifier after lockMs.
 */
export class Notifier {
  readonly stats: NotifierStats = { handedOver: 0, delivered: 0, failedAttempts: 0 };
  private readonly keys: StreamKeys;
  private readonly parts: Partitions;
  /** Per partition (LPR_PARTITIONS): its alerts stream's reader (own connection) and reclaimer. */
  private readonly units: { p: number; keys: StreamKeys; reader: BlockingReader; reclaimer: Reclaimer }[];
  private readonly client: RedisClient;
  private readonly queue: Queue<AlertJobData>;
  private worker: Worker<AlertJobData> | undefined;
  private loops: Promise<void>[] = [];
  private stopping = false;
  private closing: Promise<void> | undefined;
  private readonly attempts: number;
  private readonly warning: RateLimitedWarning;

  constructor(
    redisConfig: RedisConfig,
    private readonly config: NotifierConfig,
    private readonly logger: Logger,
  ) {
    this.parts = partitionsOf(redisConfig);
    this.keys = this.parts.global;
    this.client = createRedis(redisConfig, 'consumer', { name: 'notifier', logger });
    this.units = this.parts.all.map((keys, p) => ({
      p,
      keys,
      reader: new BlockingReader(redisConfig, {
        name: this.parts.count === 1 ? 'notifier-read' : `notifier-read:${p}`,
        blockMs: config.blockMs,
        marginMs: 5000,
        logger,
        recreateGroupFrom: '0',
      }),
      reclaimer: new Reclaimer({
        redis: this.client,
        stream: keys.alerts,
        group: NOTIFIER_GROUP,
        consumer: config.consumer,
        minIdleMs: config.claimIdleMs,
        logger,
      }),
    }));
    this.queue = webhookQueue(this.client, this.keys);
    this.queue.on('error', (err) => this.warning.warn({ err }, 'webhook queue error'));
    this.attempts = attemptsFor(config.retryForMs, config.backoffBaseMs, config.backoffMaxMs);
    this.warning = new RateLimitedWarning(5000, (obj, msg) => logger.warn(obj, msg));
  }

  /** Attempts per alert derived from the retry span and the backoff settings. */
  get attemptsPerAlert(): number {
    return this.attempts;
  }

  async start(): Promise<void> {
    await checkPartitions(this.client, this.parts);
    for (const u of this.units) await ensureGroup(this.client, u.keys.alerts, NOTIFIER_GROUP);
    const c = this.config;
    this.worker = new Worker<AlertJobData>(
      WEBHOOK_QUEUE,
      async (job: Job<AlertJobData>) => {
        const status = await deliverAlert(job.data, c);
        this.stats.delivered++;
        return { status };
      },
      {
        connection: this.client,
        prefix: webhookQueuePrefix(this.client, this.keys),
        concurrency: c.concurrency,
        lockDuration: c.lockMs,
        stalledInterval: c.lockMs,
        // A notifier killed while posting must never turn the alert into a failure.
        maxStalledCount: 1_000_000,
        settings: {
          backoffStrategy: (attemptsMade: number) =>
            backoffDelay(attemptsMade, c.backoffBaseMs, c.backoffMaxMs),
        },
      },
    );
    this.worker.on('failed', (job, err) => {
      this.stats.failedAttempts++;
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
      if (final)
        this.logger.error(
          { err, alert: job?.id, keepFailedMs: c.keepFailedMs },
          'alert delivery given up; kept in the failed set for NOTIFIER_KEEP_FAILED_MS (alerts retry)',
        );
      else
        this.warning.warn(
          { err: { message: err.message }, alert: job?.id, attempt: job?.attemptsMade },
          'alert delivery failed; retrying',
        );
    });
    this.worker.on('error', (err) => this.warning.warn({ err }, 'webhook worker error'));
    this.loops = this.units.map((u) => this.readLoop(u));
    this.logger.info(
      { consumer: c.consumer, attempts: this.attempts, retryForMs: c.retryForMs },
      'notifier started: alerts stream → webhook jobs',
    );
  }

  /** One partition's alerts stream (a loop per partition, each on its own connection). Never throws. */
  private async readLoop(u: Notifier['units'][number]): Promise<void> {
    const c = this.config;
    let ownPending = true; // first drain what this consumer read before a restart
    let nextClaim = 0;
    let nextClean = 0;
    let pause = 100;
    while (!this.stopping) {
      try {
        if (u.p === 0 && Date.now() >= nextClean) {
          // Failed jobs older than NOTIFIER_KEEP_FAILED_MS go even when no new job fails (BullMQ's
          // removeOnFail age only acts when another job fails).
          await this.queue.clean(c.keepFailedMs, 1000, 'failed');
          nextClean = Date.now() + Math.min(3600_000, Math.max(1000, Math.floor(c.keepFailedMs / 10)));
        }
        if (Date.now() >= nextClaim) {
          // Entries that a dead notifier read but never acknowledged.
          await u.reclaimer.claimAll((entries) => this.handOver(u, entries));
          nextClaim = Date.now() + Math.max(100, Math.floor(c.claimIdleMs / 2));
        }
        const entries = await u.reader.readGroup({
          group: NOTIFIER_GROUP,
          consumer: c.consumer,
          streams: [u.keys.alerts],
          count: 100,
          pending: ownPending,
        });
        if (ownPending && entries.length === 0) ownPending = false;
        await this.handOver(u, entries);
        pause = 100;
      } catch (err) {
        if (this.stopping) break;
        this.warning.warn({ err }, 'reading the alerts stream failed; retrying');
        await delay(pause);
        pause = Math.min(pause * 2, 5000);
      }
    }
  }

  private async handOver(u: { p: number; keys: StreamKeys }, entries: StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const jobs: Array<{ name: string; data: AlertJobData; opts: object }> = [];
    for (const entry of entries) {
      // Stream ids are unique per partition only: with LPR_PARTITIONS > 1 the job id (and the alert id the
      // webhook carries) is `<stream id>@<partition>`, the form the web API uses too.
      const id = this.parts.count === 1 ? entry.id : `${entry.id}@${u.p}`;
      if (entry.fields.length === 0) continue; // deleted or trimmed while pending: nothing left to deliver
      try {
        jobs.push({
          name: 'alert',
          data: { id, alert: decodeAlert(id, entryFields(entry)) },
          opts: {
            jobId: id,
            attempts: this.attempts,
            backoff: { type: BACKOFF_TYPE },
            removeOnComplete: { age: Math.ceil(this.config.keepCompletedMs / 1000) },
            removeOnFail: { age: Math.ceil(this.config.keepFailedMs / 1000) },
          },
        });
      } catch (err) {
        this.logger.error({ err, alert: id }, 'malformed alert entry acknowledged without delivery');
      }
    }
    if (jobs.length) await this.queue.addBulk(jobs);
    await this.client.xack(u.keys.alerts, NOTIFIER_GROUP, ...entries.map((e) => e.id));
    this.stats.handedOver += jobs.length;
  }

  /** Idempotent: stops reading, lets in-flight POSTs finish, closes every connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      await runAll(
        [
          ['readers', () => Promise.all(this.units.map((u) => u.reader.close()))],
          ['read loops', () => Promise.all(this.loops)],
          ['worker', () => this.worker?.close()],
          ['queue', () => this.queue.close()],
          ['client', () => closeRedis(this.client)],
        ],
        this.logger,
      );
    })();
    return this.closing;
  }
}
