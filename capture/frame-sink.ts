import type { RedisClient } from '../shared/redis/connection.ts';
import type { Frame } from '../shared/codec/frame-codec.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { isPlatestreamError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { closeRedis, createRedis, waitReady } from '../shared/redis/connection.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import type { BackpressureOptions } from '../ingest/config.ts';
import { FrameRouter } from '../ingest/frame-router.ts';
import { HttpSink, type SendOutcome } from '../ingest/replay/sinks.ts';

/** Where captured frames go: the frames stream (through the ingest FrameRouter) or an ingest URL. */
export interface CaptureSink {
  send(frame: Frame): Promise<SendOutcome>;
  close(): Promise<void>;
}

export type CaptureTarget =
  | { kind: 'redis'; redis: RedisConfig; backpressure: BackpressureOptions }
  | { kind: 'http'; url: string; token: string | undefined };

export async function openCaptureSink(target: CaptureTarget, logger: Logger): Promise<CaptureSink> {
  if (target.kind === 'http') return new HttpSink(target.url, target.token);
  return RedisCaptureSink.open(target, logger);
}

/**
 * Writes frames through the ingest FrameRouter (each camera's frames to its partition, `lpr:frames` or
 * `lpr:{p}:frames` with LPR_PARTITIONS), so capture obeys the same backpressure policy as ingest: under
 * `reject` a frame refused with BACKPRESSURE is dropped by the caller (a live camera cannot wait; the next
 * frame is newer), under `drop-oldest` it is admitted.
 */
class RedisCaptureSink implements CaptureSink {
  private constructor(
    private readonly redis: RedisClient,
    private readonly router: FrameRouter,
    private readonly backpressure: BackpressureOptions,
    private readonly logger: Logger,
  ) {}

  static async open(
    target: Extract<CaptureTarget, { kind: 'redis' }>,
    logger: Logger,
  ): Promise<RedisCaptureSink> {
    const redis = createRedis(target.redis, 'producer', { name: 'capture', logger });
    const router = new FrameRouter(redis, partitionsOf(target.redis), target.backpressure, {}, logger);
    const sink = new RedisCaptureSink(redis, router, target.backpressure, logger);
    // (Re)create the groups whenever the connection becomes ready (a Redis restart may have lost them).
    redis.on('ready', () => sink.ensureGroups());
    try {
      await waitReady(redis, Math.max(2000, target.redis.connectTimeoutMs * 2));
    } catch (err) {
      logger.warn({ err }, 'Redis is not reachable yet; frames are dropped until it is');
      return sink;
    }
    try {
      await router.ensureGroups();
    } catch (err) {
      if (isPlatestreamError(err, 'PARTITIONS_MISMATCH')) {
        await closeRedis(redis);
        throw err;
      }
      logger.warn({ err }, 'could not create the consumer groups');
    }
    return sink;
  }

  private async ensureGroups(): Promise<void> {
    await this.router
      .ensureGroups()
      .catch((err: unknown) => this.logger.warn({ err }, 'could not create the consumer groups'));
  }

  async send(frame: Frame): Promise<SendOutcome> {
    try {
      const { id } = await this.router.add(frame);
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
