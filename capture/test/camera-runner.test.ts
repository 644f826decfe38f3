import { describe, expect, it } from 'vitest';
import type { Frame } from '../../shared/codec/frame-codec.ts';
import { cameraFromFields } from '../../shared/config/camera-config.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { silentLogger } from '../../test/harness/index.ts';
import { backoffDelay } from '../backoff.ts';
import { CameraRunner } from '../camera-runner.ts';
import type { CaptureSink } from '../frame-sink.ts';
import { createCaptureMetrics } from '../metrics.ts';
import type { SourceFailure, SourceHandlers, SourceRun } from '../source.ts';

// The smallest JPEG header detectImageType accepts; the runner never decodes frames.
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]);

/** A sink that keeps what it was given (the runner's contract with the frames stream is tested elsewhere). */
function memorySink(): CaptureSink & { frames: Frame[] } {
  const frames: Frame[] = [];
  return {
    frames,
    send: async (frame) => {
      frames.push(frame);
      return { kind: 'accepted', id: `${frames.length}-0` };
    },
    close: async () => undefined,
  };
}

/** A source whose every run sends `frames` frames and then ends with `failure`; records when runs start. */
function scriptedSource(frames: number, failure: SourceFailure) {
  const starts: number[] = [];
  const starter = (h: SourceHandlers): { run: SourceRun; sampled: boolean } => {
    starts.push(Date.now());
    for (let i = 0; i < frames; i++) h.onFrame(JPEG, Date.now());
    const ended = Promise.resolve<SourceFailure | undefined>(failure);
    return { run: { ended, stop: async () => undefined }, sampled: true };
  };
  return { starts, starter };
}

describe('backoff', () => {
  it('doubles from the minimum to the maximum, with ±20 % jitter', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, 100, 1000, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(2, 100, 1000, () => 0)).toBe(320);
    expect(backoffDelay(2, 100, 1000, () => 1)).toBe(480);
  });
});

describe('CameraRunner', () => {
  for (const frames of [0, 1]) {
    it(`backs off further after each failed run${frames ? ' even when each run sends a frame before it drops' : ''}`, async () => {
      const src = scriptedSource(frames, { kind: 'refused', message: 'Connection refused' });
      const sink = memorySink();
      const camera = cameraFromFields({
        id: 'flap',
        url: 'rtsp://h/s',
        backoff_min_ms: 40,
        backoff_max_ms: 320,
      });
      const runner = new CameraRunner({
        camera,
        sink,
        metrics: createCaptureMetrics(),
        logger: silentLogger,
        startSource: src.starter,
        random: () => 0.5,
      });
      runner.start();
      try {
        await waitFor(() => src.starts.length >= 6, { timeoutMs: 10_000, what: '6 attempts' });
      } finally {
        await runner.stop();
      }
      const gaps = src.starts.slice(1, 6).map((t, i) => t - src.starts[i]!);
      const expected = [40, 80, 160, 320, 320];
      gaps.forEach((g, i) => {
        expect(g, `gap ${i}: ${gaps.join(',')}`).toBeGreaterThanOrEqual(expected[i]! - 5);
        expect(g).toBeLessThan(expected[i]! + 400); // a loaded machine is late, never early
      });
      expect(runner.status().reconnects).toBeGreaterThanOrEqual(5);
      expect(sink.frames.length).toBe(frames ? src.starts.length : 0);
      expect(runner.status().state).toBe('stopped');
    });
  }

  it('a source that throws while starting is retried like any failed run, and stop() ends it', async () => {
    let tries = 0;
    const metrics = createCaptureMetrics();
    const runner = new CameraRunner({
      camera: cameraFromFields({
        id: 'bad-spawn',
        url: 'rtsp://h/s',
        backoff_min_ms: 10,
        backoff_max_ms: 20,
      }),
      sink: memorySink(),
      metrics,
      logger: silentLogger,
      startSource: () => {
        tries += 1;
        throw new Error('spawn EINVAL');
      },
    });
    runner.start();
    await waitFor(() => tries >= 3, { timeoutMs: 10_000, what: 'retries' });
    await runner.stop();
    expect(runner.status()).toMatchObject({ state: 'stopped', lastError: 'spawn EINVAL' });
    expect(
      await metrics.registry.getSingleMetricAsString('platestream_capture_source_failures_total'),
    ).toMatch(/kind="spawn"\} [3-9]/);
  });
});
