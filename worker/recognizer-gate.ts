import type { Logger } from '../shared/logger.ts';
import type { RecognitionInput, RecognitionResult, Recognizer } from '../shared/recognizer.ts';
import { closeRedis, type RedisClient } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { Partitions } from '../shared/redis/partitions.ts';
import { RateLimitedWarning } from '../shared/util/rate-limited-warning.ts';

/** What every gate in front of the recogniser is given: Redis for its per-camera state, and the keys. */
export interface GateOptions {
  redis: RedisClient;
  /** Keys of the single partition, or the partitions (LPR_PARTITIONS): each camera's state in its own. */
  keys: StreamKeys | Partitions;
  logger?: Logger;
  /** Close `redis` with the gate (it was opened for it). */
  ownsRedis?: boolean;
}

/**
 * A recogniser in front of another that decides, with per-camera state in Redis, how (or whether) a frame
 * is read: the static gate and the track gate. It passes the model id, warm-up and close through, closes
 * its own Redis connection last, and warns at most once a minute when Redis fails (a gate's Redis trouble
 * means a full read, never a lost frame).
 */
export abstract class RecognizerGate<O extends GateOptions> implements Recognizer {
  protected readonly warn: RateLimitedWarning;

  constructor(
    protected readonly inner: Recognizer,
    protected readonly opts: O,
  ) {
    this.warn = new RateLimitedWarning(60_000, (obj, msg) => opts.logger?.warn(obj, msg));
  }

  get id(): string {
    return this.inner.id;
  }

  warmup(): Promise<void> {
    return this.inner.warmup();
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      await this.beforeRedisCloses();
      if (this.opts.ownsRedis) await closeRedis(this.opts.redis);
    }
  }

  abstract recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult>;

  /** Last writes of the gate's own, once the inner recogniser has closed (default: none). */
  protected async beforeRedisCloses(): Promise<void> {}

  /** The keys of the camera's partition. */
  protected keysOf(camera: string): StreamKeys {
    const k = this.opts.keys;
    return k instanceof Partitions ? k.of(camera) : k;
  }
}
