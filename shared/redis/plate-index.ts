import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.ts';
import { scanKeys } from './scan-keys.ts';
import { PlatestreamError } from '../errors.ts';
import { platesPseudonymised, type StreamKeys } from './keys.ts';

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

/** A sighting with the plate it was indexed under (pattern searches cover several plates). */
export interface PlateSighting extends Sighting {
  plate: string;
}

/**
 * Most recent sightings of every plate matching a Redis glob (`*`, `?`; plate text already normalised),
 * newest first, found with SCAN (never KEYS). At most `maxPlates` plates are read; `truncated` says when
 * more matched.
 */
export async function readSightingsMatching(
  redis: RedisClient,
  keys: StreamKeys,
  glob: string,
  opts: { limit?: number; maxPlates?: number } = {},
): Promise<{ sightings: PlateSighting[]; plates: number; truncated: boolean }> {
  if (platesPseudonymised())
    throw new PlatestreamError(
      'USAGE',
      'plate patterns cannot be searched while LPR_PLATE_KEY pseudonymises the index key names; give the whole plate',
    );
  const limit = opts.limit ?? 50;
  const maxPlates = opts.maxPlates ?? 1000;
  const base = keys.plateIndexPattern('');
  const found = new Set<string>();
  // SCAN on every master of a cluster (scanKeys), stopping once more plates than maxPlates were found.
  for await (const batch of scanKeys(redis, keys.plateIndexPattern(glob), { count: 1000 })) {
    for (const key of batch.keys) found.add(key.slice(base.length));
    if (found.size > maxPlates) break;
  }
  const plates = [...found].sort().slice(0, maxPlates);
  const all: PlateSighting[] = [];
  for (const plate of plates)
    for (const s of await readSightings(redis, keys, plate, limit)) all.push({ ...s, plate });
  all.sort((a, b) => b.ts - a.ts);
  return { sightings: all.slice(0, limit), plates: plates.length, truncated: found.size > maxPlates };
}

/** Most recent sightings of a plate, newest first. */
export async function readSightings(
  redis: RedisClient,
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
