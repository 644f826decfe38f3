import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Prometheus metrics of one capture process, on a registry of its own (tests build several). */
export interface CaptureMetrics {
  registry: Registry;
  up: Gauge<'camera'>;
  captured: Counter<'camera'>;
  skipped: Counter<'camera' | 'reason'>;
  sent: Counter<'camera'>;
  reconnects: Counter<'camera'>;
  failures: Counter<'camera' | 'kind'>;
  lastFrameAge: Gauge<'camera'>;
}

export function createCaptureMetrics(
  opts: { defaultMetrics?: boolean; lastFrameAge?: () => Iterable<[string, number | undefined]> } = {},
): CaptureMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'platestream_capture_' });
  const registers = [registry];
  return {
    registry,
    up: new Gauge({
      name: 'platestream_capture_up',
      help: 'Whether the camera delivers frames (1) or is connecting, failing or stalled (0).',
      labelNames: ['camera'],
      registers,
    }),
    captured: new Counter({
      name: 'platestream_capture_frames_captured_total',
      help: 'Frames received from the camera (after ffmpeg sampling at the camera fps).',
      labelNames: ['camera'],
      registers,
    }),
    skipped: new Counter({
      name: 'platestream_capture_frames_skipped_total',
      help: 'Frames not sent, by reason: rate (above the camera fps), static (skip_static), busy (sends in flight), backpressure (refused by the frames stream), error (send failed).',
      labelNames: ['camera', 'reason'],
      registers,
    }),
    sent: new Counter({
      name: 'platestream_capture_frames_sent_total',
      help: 'Frames written to the frames stream (or accepted by the ingest URL).',
      labelNames: ['camera'],
      registers,
    }),
    reconnects: new Counter({
      name: 'platestream_capture_reconnects_total',
      help: 'Restarts of the camera source after it ended, stalled or failed to connect.',
      labelNames: ['camera'],
      registers,
    }),
    failures: new Counter({
      name: 'platestream_capture_source_failures_total',
      help: 'Source runs that ended, by kind: auth, not-found, refused, stalled, ended, error, spawn.',
      labelNames: ['camera', 'kind'],
      registers,
    }),
    lastFrameAge: new Gauge({
      name: 'platestream_capture_last_frame_age_seconds',
      help: 'Seconds since the camera last delivered a frame (since start while none has arrived).',
      labelNames: ['camera'],
      registers,
      collect() {
        if (!opts.lastFrameAge) return;
        for (const [camera, age] of opts.lastFrameAge()) if (age !== undefined) this.set({ camera }, age);
      },
    }),
  };
}
