import type { ChainableCommander, Redis } from 'ioredis';
import type { StreamKeys } from './keys.ts';

/** One sighting of a plate as kept in the per-plate index. */
export interface Sighting {
  resultId: string;
  camera: string;
  ts: number;
  confidence: number;
}

export interface PlateIndexOptions {
  /** How long sightings are kept (ms); older ones are removed on write and the key expires after it. */
  retentionMs: number;
}

export const PLATE_INDEX_DEFAULTS: PlateIndexOptions = { retentionMs: 7 * 24 * 3_600_000 };

/**
 * Queues the index update for one result on a MULTI/pipeline so it travels with the caller's other
 * commands: ZADD the sighting (score = capture ms), drop sightings past retention, refresh the TTL.
 */
export function queueSighting(
  tx: ChainableCommander,
  keys: StreamKeys,
  plate: string,
  s: Sighting,
  opts: PlateIndexOptions,
): void {
  const key = keys.plateIndex(plate);
  tx.zadd(key, s.ts, `${s.resultId}|${s.camera}|${s.confidence.toFixed(4)}`);
  tx.zremrangebyscore(key, '-inf', `(${s.ts - opts.retentionMs}`);
  tx.pexpire(key, opts.retentionMs);
}

/** Most recent sightings of a plate, newest first. */
export async function readSightings(
  redis: Redis,
  keys: StreamKeys,
  plate: string,
  limit = 50,
): Promise<Sighting[]> {
  const rows = await redis.zrevrange(keys.plateIndex(plate), 0, limit - 1, 'WITHSCORES');
  const out: Sighting[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const [resultId = '', camera = '', conf = '0'] = rows[i]!.split('|');
    out.push({ resultId, camera, confidence: Number(conf), ts: Number(rows[i + 1]) });
  }
  return out;
}


