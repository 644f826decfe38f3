import { type CameraConfig, redactCameraUrl } from '../shared/config/camera-config.ts';
import { detectImageType } from '../ingest/image-header.ts';
import type { Logger } from '../shared/logger.ts';
import { delay } from '../shared/util/wait.ts';
import { RateLimitedWarning } from '../shared/util/rate-limited-warning.ts';
import { backoffDelay } from './backoff.ts';
import type { CaptureSink } from './frame-sink.ts';
import type { CaptureMetrics } from './metrics.ts';
import type { FailureKind, SourceFailure, SourceHandlers, SourceRun } from './source.ts';

/** A run that delivered frames this long resets the backoff to its minimum. */
const STABLE_RUN_MS = 10_000;

export type CameraState = 'connecting' | 'up' | 'backoff' | 'auth-failed' | 'stopped';

/** Starts one connection attempt of a camera's source. `sampled`: the source already keeps to the fps. */
export type SourceStarter = (handlers: SourceHandlers) => { run: SourceRun; sampled: boolean };

/** Decides whether a frame is static (skip_static); absent = never. */
export type StaticCheck = (img: Buffer) => Promise<boolean>;

export interface CameraRunnerOptions {
  camera: CameraConfig;
  sink: CaptureSink;
  metrics: CaptureMetrics;
  logger: Logger;
  startSource: SourceStarter;
  isStatic?: StaticCheck;
  /** Frames being sent at once; past it new frames are skipped as `busy` (default 4: ffmpeg hands frames over in bursts after a scheduling hiccup). */
  maxInFlight?: number;
  random?: () => number;
}

export interface CameraStatus {
  camera: string;
  state: CameraState;
  /** Seconds since the last frame (since start while none arrived). */
  lastFrameAgeS: number;
  reconnects: number;
  /** Most recent reconnect: from the failure to the first frame of the new run (ms). */
  lastReconnectMs: number | undefined;
  lastError: string | undefined;
}

/**
 * Keeps one camera running: starts its source, watches for stalls (no frame for stall_timeout_s), restarts
 * it with exponential backoff and jitter after any failure, and sends each frame to the sink. A failure is
 * logged once when it starts (repeats of the same kind go to debug) so a dead camera does not flood the
 * log; refused credentials are said once, clearly, then retried every auth_retry_ms. Never throws: one bad
 * camera never affects the others.
 */
export class CameraRunner {
  private state: CameraState = 'connecting';
  private readonly startedAt = Date.now();
  private lastFrameAt: number | undefined;
  private lastSentAt = 0;
  private reconnects = 0;
  private lastReconnectMs: number | undefined;
  private failedAt: number | undefined;
  private lastError: SourceFailure | undefined;
  private inFlight = 0;
  private seq = 0;
  private current: SourceRun | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly sendWarning: RateLimitedWarning;

  constructor(private readonly opts: CameraRunnerOptions) {
    this.log = opts.logger.child({ camera: opts.camera.id });
    this.sendWarning = new RateLimitedWarning(30_000, (o, m) => this.log.warn(o, m));
  }

  get id(): string {
    return this.opts.camera.id;
  }

  start(): void {
    this.opts.metrics.up.set({ camera: this.id }, 0);
    this.loop ??= this.run().catch((err: unknown) => this.log.error({ err }, 'camera loop failed'));
  }

  status(now = Date.now()): CameraStatus {
    return {
      camera: this.id,
      state: this.state,
      lastFrameAgeS: (now - (this.lastFrameAt ?? this.startedAt)) / 1000,
      reconnects: this.reconnects,
      lastReconnectMs: this.lastReconnectMs,
      lastError: this.lastError?.message,
    };
  }

  /** Stops the source (kills its ffmpeg child) and the restart loop. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.current?.stop();
      await this.loop;
      this.state = 'stopped';
      this.opts.metrics.up.set({ camera: this.id }, 0);
    })();
    return this.stopping;
  }

  private async run(): Promise<void> {
    const cam = this.opts.camera;
    let attempt = 0;
    let reportedKind: FailureKind | undefined;
    while (!this.abort.signal.aborted) {
      this.state = this.state === 'auth-failed' ? 'auth-failed' : 'connecting';
      const runStart = Date.now();
      let framesThisRun = 0;
      let firstFrameAt: number | undefined;
      let stalled = false;
      let sampled = true;
      let run: SourceRun;
      try {
        const started = this.opts.startSource({
          onFrame: (img, ts) => {
            framesThisRun += 1;
            if (framesThisRun === 1) {
              firstFrameAt = Date.now();
              this.onConnected(reportedKind);
              reportedKind = undefined;
            }
            this.onFrame(img, ts, sampled);
          },
        });
        run = started.run;
        sampled = started.sampled;
      } catch (err) {
        // A source that cannot even start (spawn refused its arguments, ...) fails like any other run.
        const failure: SourceFailure = { kind: 'spawn', message: (err as Error).message };
        run = { ended: Promise.resolve(failure), stop: async () => undefined };
      }
      this.current = run;
      const stallMs = cam.stallTimeoutS * 1000;
      const connectMs = cam.connectTimeoutS * 1000;
      const watchdog = setInterval(
        () => {
          const flowing = this.lastFrameAt !== undefined && framesThisRun > 0;
          const since = flowing ? this.lastFrameAt! : runStart;
          if (Date.now() - since > (flowing ? stallMs : connectMs) && !stalled) {
            stalled = true;
            void run.stop();
          }
        },
        Math.min(1000, Math.max(50, stallMs / 4)),
      );
      let failure = await run.ended;
      clearInterval(watchdog);
      this.current = undefined;
      if (this.abort.signal.aborted) break;
      if (stalled) {
        failure = {
          kind: 'stalled',
          message:
            framesThisRun > 0
              ? `no frame for ${cam.stallTimeoutS} s (stalled after ${framesThisRun} frames)`
              : `no frame within ${cam.connectTimeoutS} s of connecting`,
        };
      }
      failure ??= { kind: 'ended', message: 'the source ended' };
      // The backoff starts over only after a run that delivered frames for a while: a camera that connects,
      // sends a frame and drops again keeps backing off instead of restarting twice a second.
      if (firstFrameAt !== undefined && Date.now() - firstFrameAt >= STABLE_RUN_MS) attempt = 0;
      this.failedAt = Date.now();
      this.lastError = failure;
      this.opts.metrics.up.set({ camera: this.id }, 0);
      this.opts.metrics.failures.inc({ camera: this.id, kind: failure.kind });
      let wait: number;
      if (failure.kind === 'auth') {
        wait = cam.authRetryMs;
        if (reportedKind !== 'auth') {
          this.log.error(
            { code: 'CAPTURE_AUTH_FAILED', url: redactCameraUrl(cam.url), retryMs: wait },
            `camera ${this.id}: the camera refused the credentials (401); check username/password in the cameras file. Retrying every ${Math.round(wait / 1000)} s: ${failure.message}`,
          );
        }
        this.state = 'auth-failed';
      } else {
        wait = backoffDelay(attempt, cam.backoffMinMs, cam.backoffMaxMs, this.opts.random);
        attempt += 1;
        const msg = `camera ${this.id}: source ${failure.kind === 'stalled' ? 'stalled' : 'failed'} (${failure.kind}): ${failure.message}; reconnecting with backoff`;
        if (reportedKind !== failure.kind)
          this.log.error(
            {
              code: 'CAPTURE_SOURCE_FAILED',
              url: redactCameraUrl(cam.url),
              kind: failure.kind,
              retryMs: wait,
            },
            msg,
          );
        else this.log.debug({ kind: failure.kind, retryMs: wait, attempt }, msg);
        this.state = 'backoff';
      }
      reportedKind = failure.kind;
      await delay(wait, this.abort.signal);
      if (this.abort.signal.aborted) break;
      this.reconnects += 1;
      this.opts.metrics.reconnects.inc({ camera: this.id });
    }
  }

  private onConnected(previous: FailureKind | undefined): void {
    this.state = 'up';
    this.opts.metrics.up.set({ camera: this.id }, 1);
    if (this.failedAt !== undefined) {
      this.lastReconnectMs = Date.now() - this.failedAt;
      this.log.info(
        { reconnectMs: this.lastReconnectMs, after: previous, reconnects: this.reconnects },
        `camera ${this.id}: receiving frames again`,
      );
      this.failedAt = undefined;
    } else {
      this.log.info({ url: redactCameraUrl(this.opts.camera.url) }, `camera ${this.id}: receiving frames`);
    }
  }

  private onFrame(img: Buffer, ts: number, sampled: boolean): void {
    const { metrics, camera } = this.opts;
    const labels = { camera: this.id };
    this.lastFrameAt = ts;
    metrics.captured.inc(labels);
    // 0.8: snapshot polls and camera clocks jitter; an MJPEG stream at 25 fps sampled at 5 keeps every 5th.
    if (!sampled && ts - this.lastSentAt < 800 / camera.fps) {
      metrics.skipped.inc({ ...labels, reason: 'rate' });
      return;
    }
    if (detectImageType(img) !== 'image/jpeg') {
      metrics.skipped.inc({ ...labels, reason: 'invalid' });
      this.sendWarning.warn(
        { bytes: img.length },
        `camera ${this.id}: the source sent something that is not a JPEG image`,
      );
      return;
    }
    if (this.inFlight >= (this.opts.maxInFlight ?? 4)) {
      metrics.skipped.inc({ ...labels, reason: 'busy' });
      return;
    }
    this.lastSentAt = ts;
    this.inFlight += 1;
    void this.send(img, ts).finally(() => {
      this.inFlight -= 1;
    });
  }

  private async send(img: Buffer, ts: number): Promise<void> {
    const { metrics, sink } = this.opts;
    const labels = { camera: this.id };
    try {
      if (this.opts.isStatic && (await this.opts.isStatic(img))) {
        metrics.skipped.inc({ ...labels, reason: 'static' });
        return;
      }
      this.seq += 1;
      const outcome = await sink.send({ camera: this.id, ts, mime: 'image/jpeg', img, seq: this.seq });
      if (outcome.kind === 'accepted') metrics.sent.inc(labels);
      else if (outcome.kind === 'retry' && outcome.reason === 'BACKPRESSURE')
        metrics.skipped.inc({ ...labels, reason: 'backpressure' });
      else {
        metrics.skipped.inc({ ...labels, reason: 'error' });
        this.sendWarning.warn(
          {
            reason: outcome.reason,
            ...(outcome.kind === 'rejected' ? { status: outcome.status, message: outcome.message } : {}),
          },
          `camera ${this.id}: frame not sent`,
        );
      }
    } catch (err) {
      metrics.skipped.inc({ ...labels, reason: 'error' });
      this.sendWarning.warn({ err }, `camera ${this.id}: frame not sent`);
    }
  }
}
