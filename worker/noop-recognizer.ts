import type { RecognitionResult, Recognizer } from '../shared/recognizer.ts';

/**
 * Decodes nothing and finds no plate. For benchmarks that measure the pipeline without model cost
 * (`LPR_RECOGNIZER=noop`); every frame gets an empty result.
 */
export class NoopRecognizer implements Recognizer {
  readonly id = 'noop';
  async warmup(): Promise<void> {}
  async recognize(): Promise<RecognitionResult> {
    return { plate: '', confidence: 0, candidates: [], model: this.id, timings: {} };
  }
  async close(): Promise<void> {}
}
