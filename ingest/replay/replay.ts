import type { ImageMime } from '../../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../../shared/errors.ts';
import { changedFraction, type Thumbnail, thumbnail } from '../../shared/image/static-scene.ts';
import { delay } from '../../shared/util/wait.ts';
import { openSink, type ReplayTarget } from './sinks.ts';
import { countSource, type ReplaySource, readSource } from './sources.ts';

export interface ReplayOptions {
  source: ReplaySource;
  target: ReplayTarget;
  /** Camera ids to simulate; every image of the source is sent once per camera. */
  cameras: string[];
  /** Target frames per second over all cameras; 0 = as fast as the target accepts. */
  rate: number;
  /** Start over at the end of the source until `limit` or the abort signal. */
  loop: boolean;
  /** Stop after this many frames have been handled (accepted, rejected or failed). */
  limit?: number;
  /** Frames in flight at once. */
  concurrency: number;
  /** Retries per frame after 503 / network errors before it counts as failed. */
  maxRetries: number;
  /**
   * Skip frames whose scene has not changed since the last one sent for the camera (`--skip-static`): the
   * share of changed thumbnail pixels (shared/image/static-scene.ts) below which a frame is not sent.
   * Undefined = send every frame.
   */
  skipStatic?: number;
}

export const REPLAY_DEFAULTS = { rate: 0, loop: false, concurrency: 4, maxRetries: 10 } as const;

export interface ReplayProgress {
  /** Frames handled so far (accepted + rejected + failed). */
  sent: number;
  accepted: number;
  rejected: number;
  /** Send attempts that were retried (503 with Retry-After, network errors). */
  retried: number;
  /** Frames given up after maxRetries. */
  failed: number;
  /** Frames not sent because their scene had not changed (skipStatic). */
  skipped: number;
  bytes: number;
  elapsedMs: number;
  /** Accepted frames per second so far. */
  fps: number;
  /** Frames this run will handle, when known (folder or manifest without loop, or a limit). */
  total: number | undefined;
}

export interface ReplaySummary extends ReplayProgress {
  /** Rejections by error code. */
  rejectedBy: Record<string, number>;
  /** Retries by reason. */
  retriedBy: Record<string, number>;
  /** Entry ids of accepted frames, in completion order (only when `collectIds`). */
  ids?: string[];
  aborted: boolean;
}

export interface ReplayHooks {
  onProgress?(p: ReplayProgress): void;
  /** Called once per rejected frame (so a CLI can print the first few reasons). */
  onRejected?(info: { camera: string; name: string; status: number; reason: string; message: string }): void;
  signal?: AbortSignal;
  /** Keep the ids of accepted frames in the summary (tests, small runs). */
  collectIds?: boolean;
}

/**
 * Replays a folder, a manifest or a video to the ingest HTTP API or straight into Redis, at a target rate,
 * optionally looping, as one or more simulated cameras. Honours 503 Retry-After. The library core of
 * `platestream replay` (and of the demo).
 */
export async function replay(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplaySummary> {
  if (options.cameras.length === 0) throw new PlatestreamError('CONFIG_INVALID', 'replay: no cameras given');
  const perPass = await countSource(options.source);
  const passTotal = perPass === undefined ? undefined : perPass * options.cameras.length;
  const total = options.loop ? options.limit : Math.min(passTotal ?? Infinity, options.limit ?? Infinity);
  const summary: ReplaySummary = {
    sent: 0,
    accepted: 0,
    rejected: 0,
    retried: 0,
    failed: 0,
    skipped: 0,
    bytes: 0,
    elapsedMs: 0,
    fps: 0,
    total: total === Infinity ? undefined : total,
    rejectedBy: {},
    retriedBy: {},
    aborted: false,
    ...(hooks.collectIds ? { ids: [] } : {}),
  };
  const signal = hooks.signal;
  const started = Date.now();
  const progress = () => {
    summary.elapsedMs = Date.now() - started;
    summary.fps = summary.elapsedMs > 0 ? (summary.accepted * 1000) / summary.elapsedMs : 0;
    hooks.onProgress?.({
      ...summary,
      rejectedBy: undefined,
      retriedBy: undefined,
      ids: undefined,
    } as ReplayProgress);
  };
  const seqs = new Map<string, number>();
  // The last frame sent per camera, as a thumbnail (skipStatic only).
  const references = new Map<string, Thumbnail>();
  const sink = await openSink(options.target);
  const inflight = new Set<Promise<void>>();
  let scheduled = 0;

  const sendOne = async (camera: string, name: string, img: Buffer, mime: ImageMime, seq: number) => {
    // One capture time for every attempt: a retry repeats seq and ts, which ingest takes as the request's
    // idempotency key, so a retry after a 503 whose write still happened is not stored twice.
    const ts = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) return;
      const outcome = await sink.send({ camera, ts, mime, img, seq });
      if (outcome.kind === 'accepted') {
        summary.accepted++;
        summary.bytes += img.length;
        summary.ids?.push(outcome.id);
        break;
      }
      if (outcome.kind === 'rejected') {
        summary.rejected++;
        summary.rejectedBy[outcome.reason] = (summary.rejectedBy[outcome.reason] ?? 0) + 1;
        hooks.onRejected?.({
          camera,
          name,
          status: outcome.status,
          reason: outcome.reason,
          message: outcome.message,
        });
        break;
      }
      if (attempt >= options.maxRetries) {
        summary.failed++;
        break;
      }
      summary.retried++;
      summary.retriedBy[outcome.reason] = (summary.retriedBy[outcome.reason] ?? 0) + 1;
      progress();
      await delay(outcome.retryAfterMs, signal);
    }
    summary.sent++;
  };

  const ticker = setInterval(progress, 250);
  ticker.unref();
  try {
    passes: for (;;) {
      let yielded = 0;
      for await (const image of readSource(options.source, signal)) {
        yielded++;
        const thumb =
          options.skipStatic === undefined ? undefined : await thumbnail(image.img).catch(() => undefined);
        for (const camera of options.cameras) {
          if (signal?.aborted || (options.limit !== undefined && scheduled >= options.limit)) break passes;
          if (thumb) {
            const ref = references.get(camera);
            if (ref && changedFraction(thumb, ref) < options.skipStatic!) {
              summary.skipped++;
              continue;
            }
            references.set(camera, thumb);
          }
          if (options.rate > 0) {
            const due = started + (scheduled * 1000) / options.rate;
            if (due > Date.now()) await delay(due - Date.now(), signal);
            if (signal?.aborted) break passes;
          }
          while (inflight.size >= options.concurrency) await Promise.race(inflight);
          const seq = seqs.get(camera) ?? 0;
          seqs.set(camera, seq + 1);
          scheduled++;
          const p: Promise<void> = sendOne(camera, image.name, image.img, image.mime, seq).finally(() =>
            inflight.delete(p),
          );
          inflight.add(p);
        }
      }
      if (!options.loop || yielded === 0) break;
    }
    await Promise.all(inflight);
  } finally {
    clearInterval(ticker);
    await Promise.allSettled(inflight);
    await sink.close();
  }
  summary.aborted = signal?.aborted ?? false;
  progress();
  return summary;
}
