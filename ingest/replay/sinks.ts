import type { RedisClient } from '../../shared/redis/connection.ts';
import type { Frame } from '../../shared/codec/frame-codec.ts';
import type { RedisConfig } from '../../shared/config/redis-config.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { closeRedis, createRedis, waitReady } from '../../shared/redis/connection.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import type { BackpressureOptions } from '../config.ts';
import { INGEST_DEFAULTS } from '../config.ts';
import { inspectImage } from '../image-header.ts';
import { FrameRouter } from '../frame-router.ts';

/** What happened to one send attempt. */
export type SendOutcome =
  | { kind: 'accepted'; id: string }
  /** Try again after `retryAfterMs` (503 backpressure / Redis down / shutting down, network errors). */
  | { kind: 'retry'; retryAfterMs: number; reason: string }
  /** The frame was refused for good (4xx); `reason` is the error code. */
  | { kind: 'rejected'; status: number; reason: string; message: string };

export interface FrameSink {
  send(frame: Frame): Promise<SendOutcome>;
  close(): Promise<void>;
}

export type ReplayTarget =
  | { kind: 'http'; url: string; token?: string }
  | { kind: 'redis'; redis: RedisConfig; backpressure?: BackpressureOptions; maxPixels?: number };

export async function openSink(target: ReplayTarget): Promise<FrameSink> {
  return target.kind === 'http' ? new HttpSink(target.url, target.token) : RedisSink.open(target);
}

/** Posts raw image bodies to the ingest HTTP API (keep-alive through fetch's pool). */
export class HttpSink implements FrameSink {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token?: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  async send(frame: Frame): Promise<SendOutcome> {
    const q = new URLSearchParams({ ts: String(frame.ts) });
    if (frame.seq !== undefined) q.set('seq', String(frame.seq));
    if (frame.meta !== undefined) q.set('meta', JSON.stringify(frame.meta));
    const headers: Record<string, string> = { 'content-type': frame.mime };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}/v1/cameras/${encodeURIComponent(frame.camera)}/frames?${q}`, {
        method: 'POST',
        headers,
        body: frame.img as Uint8Array<ArrayBuffer>,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      return { kind: 'retry', retryAfterMs: 1000, reason: `network: ${cause}` };
    }
    const text = await res.text();
    let body: { id?: string; error?: { code?: string; message?: string } } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // non-JSON answer (a proxy?); handled below by status
    }
    if (res.status === 202 && body.id) return { kind: 'accepted', id: body.id };
    if (res.status === 503 || res.status === 429 || res.status >= 500) {
      const ra = Number(res.headers.get('retry-after'));
      return {
        kind: 'retry',
        retryAfterMs: Number.isFinite(ra) && ra > 0 ? ra * 1000 : 1000,
        reason: body.error?.code ?? `HTTP ${res.status}`,
      };
    }
    return {
      kind: 'rejected',
      status: res.status,
      reason: body.error?.code ?? `HTTP ${res.status}`,
      message: body.error?.message ?? text.slice(0, 200),
    };
  }

  async close(): Promise<void> {}
}

/** Writes straight into the frames stream through the same FrameProducer (and backpressure) as ingest. */
export class RedisSink implements FrameSink {
  private constructor(
    private readonly redis: RedisClient,
    private readonly producer: FrameRouter,
    private readonly maxPixels: number,
  ) {}

  static async open(target: Extract<ReplayTarget, { kind: 'redis' }>): Promise<RedisSink> {
    const redis = createRedis(target.redis, 'producer', { name: 'replay' });
    try {
      await waitReady(redis, Math.max(2000, target.redis.connectTimeoutMs * 2));
    } catch (err) {
      await closeRedis(redis);
      throw err;
    }
    const producer = new FrameRouter(
      redis,
      partitionsOf(target.redis),
      target.backpressure ?? INGEST_DEFAULTS.backpressure,
    );
    try {
      await producer.ensureGroups();
    } catch (err) {
      await closeRedis(redis);
      throw err;
    }
    return new RedisSink(redis, producer, target.maxPixels ?? INGEST_DEFAULTS.maxPixels);
  }

  async send(frame: Frame): Promise<SendOutcome> {
    try {
      inspectImage(frame.img, frame.mime, this.maxPixels, `camera "${frame.camera}"`);
      const { id } = await this.producer.add(frame);
      return { kind: 'accepted', id };
    } catch (err) {
      if (isPlatestreamError(err) && err.status === 503) {
        return {
          kind: 'retry',
          retryAfterMs: this.producer.options.retryAfterSeconds * 1000,
          reason: err.code,
        };
      }
      if (isPlatestreamError(err) && err.status < 500) {
        return { kind: 'rejected', status: err.status, reason: err.code, message: err.message };
      }
      throw err;
    }
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}
