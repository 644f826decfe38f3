import type { RedisClient } from '../shared/redis/connection.ts';
import type { Frame } from '../shared/codec/frame-codec.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { isPlatestreamError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import type { BackpressureOptions } from '../ingest/config.ts';
import { FrameProducer } from '../ingest/producer.ts';
import { HttpSink, type SendOutcome } from '../ingest/replay/sinks.ts';

/** Where captured frames go: the frames stream (through the ingest FrameProducer) or an ingest URL. */
export interface CaptureSink {
  send(frame: Frame, partition: string | undefined): Promise<SendOutcome>;
  close(): Promise<void>;
}

export type CaptureTarget =
  | { kind: 'redis'; redis: RedisConfig; backpressure: BackpressureOptions }
  | { kind: 'http'; url: string; token: string | undefined };

export async function openCaptureSink(
  target: CaptureTarget,
  partitions: Iterable<string | undefined>,
  logger: Logger,
): Promise<CaptureSink> {
  if (target.kind === 'http') return new HttpSink(target.url, target.token);
  return RedisCaptureSink.open(target, [...partitions], logger);
}

/**
 * Writes frames through one FrameProducer per partition (`lpr:frames` or `lpr:{p}:frames`), so capture
 * obeys the same backpressure policy as ingest: under `reject` a frame refused with BACKPRESSURE is dropped
 * by the caller (a live camera cannot wait; the next frame is newer), under `drop-oldest` it is admitted.
 */
class RedisCaptureSink implements CaptureSink {
  private readonly producers = new Map<string, FrameProducer>();

  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly backpressure: BackpressureOptions,
    private readonly logger: Logger,
  ) {}

  static async open(
    target: Extract<CaptureTarget, { kind: 'redis' }>,
    partitions: (string | undefined)[],
    logger: Logger,
  ): Promise<RedisCaptureSink> {
    const redis = createRedis(target.redis, 'producer', { name: 'capture', logger });
    const sink = new RedisCaptureSink(redis, target.redis.prefix, target.backpressure, logger);
    for (const p of partitions) sink.producer(p);
    // (Re)create the groups whenever the connection becomes ready (a Redis restart may have lost them).
    redis.on('ready', () => sink.ensureGroups());
    try {
      await waitReady(redis, Math.max(2000, target.redis.connectTimeoutMs * 2));
      await sink.ensureGroups();
    } catch (err) {
      logger.warn({ err }, 'Redis is not reachable yet; frames are dropped until it is');
    }
    return sink;
  }

  private producer(partition: string | undefined): FrameProducer {
    const key = partition ?? '';
    let p = this.producers.get(key);
    if (!p) {
      p = new FrameProducer(
        this.redis,
        new StreamKeys(this.prefix, partition),
        this.backpressure,
        {},
        this.logger,
      );
      this.producers.set(key, p);
    }
    return p;
  }

  private async ensureGroups(): Promise<void> {
    for (const p of this.producers.values()) {
      p.monitor.invalidate();
      await p
        .ensureGroup()
        .catch((err: unknown) => this.logger.warn({ err }, 'could not create the consumer group'));
    }
  }

  async send(frame: Frame, partition: string | undefined): Promise<SendOutcome> {
    try {
      const { id } = await this.producer(partition).add(frame);
      return { kind: 'accepted', id };
    } catch (err) {
      if (isPlatestreamError(err) && err.status === 503) {
        return { kind: 'retry', retryAfterMs: this.backpressure.retryAfterSeconds * 1000, reason: err.code };
      }
      if (isPlatestreamError(err))
        return { kind: 'rejected', status: err.status, reason: err.code, message: err.message };
      throw err;
    }
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}
