import { PlatestreamError } from '../errors.ts';
import { isClusterUrl } from './cluster-url.ts';
import type { RedisClient } from './connection.ts';
import { StreamKeys } from './keys.ts';

/** Most partitions LPR_PARTITIONS accepts (each costs every worker one blocking connection). */
export const MAX_PARTITIONS = 256;

/**
 * Which partition a camera belongs to: FNV-1a (32 bit) of the camera id modulo the partition count. Every
 * process (ingest, capture, replay, workers, events stage, readers) uses this one rule, so a camera's
 * frames, results, passes, events and alerts stay in one partition, and so in one Redis Cluster hash slot.
 */
export function cameraPartition(camera: string, count: number): number {
  if (count <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < camera.length; i++) {
    h ^= camera.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/**
 * The key sets of every partition of one prefix (LPR_PARTITIONS). With one partition there is one
 * StreamKeys without a hash tag (`lpr:frames`, the single-node layout, byte for byte); with P > 1 there
 * are P of them, `new StreamKeys(prefix, "<p>")` (`lpr:{0}:frames` .. `lpr:{P-1}:frames`), each of which
 * keeps all of a partition's keys in one hash slot.
 *
 * On a Redis Cluster (`hashTag`), one partition is `new StreamKeys(prefix, "0")` (`lpr:{0}:frames`) too:
 * the untagged names of a partition's keys fall in different hash slots, and every script that touches
 * several of them (complete, emitEvents, ...) must stay in one slot.
 *
 * `global` names the keys that are not per partition (watchlist cache, audit log, the partition meta
 * key): the unpartitioned StreamKeys, whatever the count.
 */
export class Partitions {
  readonly count: number;
  readonly all: readonly StreamKeys[];
  readonly global: StreamKeys;
  private readonly byStreamName = new Map<string, number>();

  constructor(
    readonly prefix: string,
    count: number,
    opts: { hashTag?: boolean } = {},
  ) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS)
      throw new Error(`invalid partition count ${count} (1..${MAX_PARTITIONS})`);
    this.count = count;
    this.global = new StreamKeys(prefix);
    this.all =
      count === 1 && !opts.hashTag
        ? [this.global]
        : Array.from({ length: count }, (_, p) => new StreamKeys(prefix, String(p)));
    this.all.forEach((k, p) => {
      for (const s of [k.frames, k.results, k.dlq, k.alerts, k.events]) this.byStreamName.set(s, p);
    });
  }

  /** Partition number of a camera. */
  index(camera: string): number {
    return cameraPartition(camera, this.count);
  }

  /** Keys of the camera's partition. */
  of(camera: string): StreamKeys {
    return this.all[this.index(camera)]!;
  }

  /** Partition number of one of the partition streams (frames, results, dlq, alerts, events); undefined if none. */
  ofStream(stream: string): number | undefined {
    return this.byStreamName.get(stream);
  }
}

/** Readers accept either: a plain StreamKeys is the one partition of the single-node layout. */
export function asPartitions(k: StreamKeys | Partitions): Partitions {
  return k instanceof Partitions ? k : new Partitions(k.prefix, 1);
}

/**
 * The partitions of a Redis configuration (prefix + LPR_PARTITIONS); hash-tagged even with one partition
 * when the URL names a Redis Cluster.
 */
export function partitionsOf(config: { prefix: string; partitions: number; url?: string }): Partitions {
  return new Partitions(config.prefix, config.partitions, {
    hashTag: config.url !== undefined && isClusterUrl(config.url),
  });
}

/**
 * Refuses to run against data laid out for another partition count. The first process that starts records
 * its count in `<prefix>:meta:partitions` (SET NX); every later one compares. A store written before the
 * meta key existed counts as one partition when its plain streams (`lpr:frames`, `lpr:results`) exist.
 * Changing the count goes through `platestream partitions migrate --to P` (docs/partitions.md).
 */
export async function checkPartitions(redis: RedisClient, parts: Partitions): Promise<void> {
  const meta = parts.global.partitionsMeta;
  let stored = await redis.get(meta);
  if (stored === null) {
    const g = parts.global;
    // One key per EXISTS: on a cluster the two untagged names lie in different slots.
    const legacy =
      parts.count !== 1 && ((await redis.exists(g.frames)) > 0 || (await redis.exists(g.results)) > 0);
    if (legacy) stored = '1';
    else {
      await redis.set(meta, String(parts.count), 'NX');
      stored = await redis.get(meta);
    }
  }
  if (stored !== null && Number(stored) !== parts.count) throw partitionsMismatch(parts, Number(stored));
}

export function partitionsMismatch(parts: Partitions, stored: number): PlatestreamError {
  return new PlatestreamError(
    'PARTITIONS_MISMATCH',
    `LPR_PARTITIONS=${parts.count} but the data under prefix "${parts.prefix}" is laid out in ${stored} partition${stored === 1 ? '' : 's'} (${parts.global.partitionsMeta}). ` +
      `Start every process with LPR_PARTITIONS=${stored}, or stop the pipeline and run "platestream partitions migrate --to ${parts.count}" (docs/partitions.md).`,
  );
}
