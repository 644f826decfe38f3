import { createHmac } from 'node:crypto';

/** LPR_PLATE_KEY (set once per process by readRedisConfig): when set, plate parts of key names are keyed hashes. */
let plateKey: string | undefined;

/**
 * Sets (or clears) the secret that pseudonymises plates in key names (LPR_PLATE_KEY). readRedisConfig calls
 * it, so every process that reads its Redis configuration names the per-plate keys the same way.
 */
export function setPlateKey(secret: string | undefined): void {
  plateKey = secret || undefined;
}

/** Whether plate parts of key names are keyed hashes (then key names cannot be searched by plate pattern). */
export function platesPseudonymised(): boolean {
  return plateKey !== undefined;
}

/** The plate as it appears in key names: itself, or `h.` + 32 hex digits of HMAC-SHA256(LPR_PLATE_KEY, plate). */
export function plateKeyPart(plate: string): string {
  return plateKey === undefined
    ? plate
    : `h.${createHmac('sha256', plateKey).update(plate).digest('hex').slice(0, 32)}`;
}

/**
 * The only place that builds Redis key names. Everything else asks a StreamKeys instance.
 *
 * Without a partition: `lpr:frames`, `lpr:results`, ... With a partition `p` (Redis Cluster):
 * `lpr:{p}:frames`, `lpr:{p}:results`, ... so one frame's stream, results, DLQ and alerts share a slot and
 * the atomic complete script stays single-slot.
 */
export class StreamKeys {
  readonly prefix: string;
  readonly partition: string | undefined;
  private readonly base: string;

  constructor(prefix = 'lpr', partition?: string) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new Error(`invalid key prefix "${prefix}"`);
    if (partition !== undefined && !/^[A-Za-z0-9_.-]{1,32}$/.test(partition)) {
      throw new Error(`invalid partition "${partition}"`);
    }
    this.prefix = prefix;
    this.partition = partition;
    this.base = partition === undefined ? prefix : `${prefix}:{${partition}}`;
  }

  /** Stream of camera frames (fields: camera, ts, mime, img, seq?, meta?). */
  get frames(): string {
    return `${this.base}:frames`;
  }
  /** Stream of recognition results, one per frame. */
  get results(): string {
    return `${this.base}:results`;
  }
  /** Dead-letter stream: the frame's fields + error, stage, deliveries. */
  get dlq(): string {
    return `${this.base}:dlq`;
  }
  /** Watchlist hits. */
  get alerts(): string {
    return `${this.base}:alerts`;
  }
  /** Hash of counters kept in Redis (dropped frames by policy, stale completions, ...). */
  get counters(): string {
    return `${this.base}:counters`;
  }
  /**
   * Sorted set of the workers' heartbeats: member = consumer name, score = ms epoch (Redis clock) until
   * which it counts as alive. `stats` and the consumers gauge count live workers from it.
   */
  get workerHeartbeats(): string {
    return `${this.base}:workers:alive`;
  }
  /** Lease lock for the single housekeeping leader. */
  get housekeepingLock(): string {
    return `${this.base}:lock:housekeeping`;
  }
  /** Monotonic fencing-token counter handed out with every lease. */
  get fencingCounter(): string {
    return `${this.base}:lock:fence`;
  }
  /**
   * De-duplication marker of one admitted frame request (its Idempotency-Key, or one derived from camera +
   * seq), value = the entry id; expires after LPR_IDEMPOTENCY_WINDOW_MS. Same slot as the frames stream.
   */
  idempotency(camera: string, key: string): string {
    return `${this.base}:idem:${camera}:${key}`;
  }
  /** Sorted set of recent sightings of one plate (score = capture ms); the plate part is pseudonymised with LPR_PLATE_KEY. */
  plateIndex(plate: string): string {
    return `${this.base}:plate:${plateKeyPart(plate)}`;
  }
  /** SCAN pattern over the per-plate index keys (a glob over plate texts; with LPR_PLATE_KEY only `*` is meaningful). */
  plateIndexPattern(glob: string): string {
    return `${this.base}:plate:${glob}`;
  }
  /** Cached watchlist answer for one plate (plate part pseudonymised with LPR_PLATE_KEY). */
  watchlistCache(plate: string): string {
    return `${this.prefix}:wl:${plateKeyPart(plate)}`;
  }
  /** SCAN pattern over the cached watchlist answers. */
  get watchlistCachePattern(): string {
    return `${this.prefix}:wl:*`;
  }
  /** Short lock that keeps concurrent cache misses for one plate to one database query. */
  watchlistFill(plate: string): string {
    return `${this.prefix}:wl-fill:${plateKeyPart(plate)}`;
  }
  /** Watchlist generation number; every change through the CLI increments it (cached answers of an older one are stale). */
  get watchlistVersion(): string {
    return `${this.prefix}:wl-version`;
  }
  /** Pub/sub channel announcing a new watchlist generation (message = the new version). */
  get watchlistChannel(): string {
    return `${this.prefix}:wl-changed`;
  }
  /** Key prefix for BullMQ queues (the notifier's webhook jobs live under `<prefix>:bull:<queue>:*`). */
  get queuePrefix(): string {
    return `${this.prefix}:bull`;
  }
  /**
   * The BullMQ prefix for this connection: on a Redis Cluster in braces (`{lpr:bull}`), so every key of a
   * queue shares one hash slot as BullMQ's scripts require; on one server `queuePrefix` (unchanged keys).
   */
  queuePrefixFor(cluster: boolean): string {
    return cluster ? `{${this.queuePrefix}}` : this.queuePrefix;
  }
  /** Alert de-duplication window marker per camera and plate (plate part pseudonymised with LPR_PLATE_KEY). */
  alertWindow(camera: string, plate: string): string {
    return `${this.base}:alert-window:${camera}:${plateKeyPart(plate)}`;
  }
  /** SCAN pattern over the alert windows: every camera's, of one plate, or of every plate (`*`). */
  alertWindowPattern(plate: string | '*'): string {
    return `${this.base}:alert-window:*:${plate === '*' ? '*' : plateKeyPart(plate)}`;
  }
  /** A camera's static-scene reference: the thumbnail of its last frame read in full (binary, with a TTL). */
  staticReference(camera: string): string {
    return `${this.base}:static:${camera}`;
  }
  /**
   * A camera's plate track for reading from the predicted region (worker/track-gate.ts): JSON of the last
   * confident plate box, its capture time and velocity; no plate text; with a TTL of 2 x LPR_TRACK_MAX_GAP_MS.
   */
  plateTrack(camera: string): string {
    return `${this.base}:track:${camera}`;
  }
  /** Stream of vehicle events, one per pass (written by the events stage; see shared/codec/event-codec.ts). */
  get events(): string {
    return `${this.base}:events`;
  }
  /**
   * Hash of the events stage's open state, one field per camera (JSON: watermark, buffered reads, open
   * passes); rewritten by emitEvents in the same script that acknowledges the results it consumed.
   */
  get eventsState(): string {
    return `${this.base}:events:state`;
  }
  /** Lease lock of the events stage on this partition (one events process at a time). */
  get eventsLock(): string {
    return `${this.base}:lock:events`;
  }
  /** Open state of events partition `p` of `n` (EVENTS_PARTITIONS; with one partition: eventsState). */
  eventsPartitionState(p: number, n: number): string {
    return n === 1 ? this.eventsState : `${this.eventsState}:${p}`;
  }
  /** Lease of events partition `p` of `n` (with one partition: eventsLock). */
  eventsPartitionLock(p: number, n: number): string {
    return n === 1 ? this.eventsLock : `${this.eventsLock}:${p}`;
  }
  /** Running events processes: sorted set of consumer names, score = ms until which each counts as alive. */
  get eventsAlive(): string {
    return `${this.base}:events:alive`;
  }
  /**
   * Per-plate index of events: sorted set with every score 0 and members `<plate>:<first ms, 13 digits>:<event
   * stream id>`, read by lexical range (ZRANGEBYLEX "[PLATE:" "[PLATE;").
   */
  get eventsByPlate(): string {
    return `${this.base}:events:by-plate`;
  }
  /** The same members as eventsByPlate scored by first capture ms: caps the index (oldest removed first). */
  get eventsByTime(): string {
    return `${this.base}:events:by-time`;
  }
  /**
   * Audit trail (stream): one entry per search by plate or time range, watchlist change and erasure (`actor`,
   * `action`, `target`, `rows`, `detail`); trimmed by age (AUDIT_RETENTION_MS) on every append.
   */
  get auditLog(): string {
    return `${this.prefix}:audit`;
  }
  /**
   * Recent erasures (sorted set, score = erasure ms, member `<PLATE>|<until ms>`): the workers' housekeeping
   * erases reads of these plates that land until then (frames that were in flight during `platestream erase`).
   */
  get erasures(): string {
    return `${this.base}:erasures`;
  }
  /**
   * The partition count the data of this prefix is laid out in (LPR_PARTITIONS; written once by the first
   * process, changed only by `platestream partitions migrate`). Never hash-tagged.
   */
  get partitionsMeta(): string {
    return `${this.prefix}:meta:partitions`;
  }
  /** Pattern matching every key of this prefix; for SCAN in tests and tools, never KEYS on a live server. */
  get scanPattern(): string {
    return `${this.prefix}:*`;
  }
}

/** Consumer group every worker joins on the frames stream. */
export const WORKER_GROUP = 'workers';

/** Consumer group the events stage joins on the results stream. */
export const EVENTS_GROUP = 'events';

/** The events group of partition `p` of `n` (each partition reads every result and keeps its cameras'). */
export function eventsGroup(p: number, n: number): string {
  return n === 1 ? EVENTS_GROUP : `${EVENTS_GROUP}-${p}`;
}

/** Consumer group the alert notifier joins on the alerts stream. */
export const NOTIFIER_GROUP = 'notifier';

/** BullMQ queue (under StreamKeys.queuePrefix) holding one webhook delivery job per alert. */
export const WEBHOOK_QUEUE = 'webhooks';

/** Counter fields in the counters hash. */
export const COUNTER = {
  droppedOldest: 'dropped:drop-oldest',
  /** Frames whose scene had not changed since their camera's last full read (LPR_SKIP_STATIC). */
  skippedStatic: 'skipped:static',
  staleCompletions: 'stale-completions',
  deadLettered: 'dead-lettered',
  /** Entries taken over from idle consumers by the workers' XAUTOCLAIM. */
  reclaimed: 'reclaimed',
  /** Results the events stage consumed after their camera's watermark had passed them (still voted in). */
  lateResults: 'events:late',
  /** Passes closed with fewer reads than EVENTS_MIN_READS (no event written). */
  droppedPasses: 'events:dropped-passes',
  /** Closing passes joined to another pass as fragments of one vehicle (events/pass-builder.ts sameVehicle). */
  mergedPasses: 'events:merged-passes',
  /** Events written by the events stage (in the same script as the events themselves). */
  eventsEmitted: 'events:emitted',
} as const;
