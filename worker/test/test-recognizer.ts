import { PlatestreamError } from '../../shared/errors.ts';
import type { RecognitionInput, RecognitionResult, Recognizer } from '../../shared/recognizer.ts';
import { delay } from '../../shared/util/wait.ts';

/**
 * TEST ONLY (worker/test/worker-main.ts, or injected into Worker / startWorker): a deterministic recogniser driven by the frame's `meta` JSON, so test
 * suites and child-process tests can script outcomes without models:
 * - `meta.plate`: the plate to "read" (confidence 0.9); absent → no plate.
 * - `meta.fail`: `"invalid"` → IMAGE_INVALID (dead-lettered at once), `"transient"` → RECOGNITION_FAILED.
 * - `meta.sleepMs`: extra time to take (abortable).
 * Environment: TEST_RECOGNIZER_DELAY_MS adds a fixed delay per frame (simulated model time).
 * Never the default; never use it in production.
 */
export interface TestRecognizerOptions {
  delayMs?: number;
  /** Awaited before answering; lets a test hold a frame in flight. */
  hold?: (input: RecognitionInput) => Promise<void>;
}

export class TestRecognizer implements Recognizer {
  readonly id = 'test';
  calls = 0;

  constructor(private readonly opts: TestRecognizerOptions = {}) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): TestRecognizer {
    const delayMs = Number(env.TEST_RECOGNIZER_DELAY_MS ?? 0);
    return new TestRecognizer({ delayMs: Number.isFinite(delayMs) ? delayMs : 0 });
  }

  async warmup(): Promise<void> {}

  async recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult> {
    this.calls++;
    const meta = input.meta ?? {};
    const wait = (this.opts.delayMs ?? 0) + (typeof meta.sleepMs === 'number' ? meta.sleepMs : 0);
    if (wait > 0) await delay(wait, signal);
    if (this.opts.hold) await this.opts.hold(input);
    if (signal?.aborted) throw new PlatestreamError('TIMEOUT', `frame ${input.id}: recognition aborted`);
    if (meta.fail === 'invalid') {
      throw new PlatestreamError(
        'IMAGE_INVALID',
        `frame ${input.id}: test recogniser was told the image is invalid`,
      );
    }
    if (meta.fail === 'transient') {
      throw new PlatestreamError('RECOGNITION_FAILED', `frame ${input.id}: test recogniser was told to fail`);
    }
    const plate = typeof meta.plate === 'string' ? meta.plate : '';
    const box = { x: 1, y: 2, w: 30, h: 10 };
    return {
      plate,
      confidence: plate ? 0.9 : 0,
      box: plate ? box : undefined,
      candidates: plate ? [{ text: plate, confidence: 0.9, box }] : [],
      model: this.id,
      timings: { read: 0 },
    };
  }

  async close(): Promise<void> {}
}
