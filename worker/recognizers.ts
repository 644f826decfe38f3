import type { RecognizerOptions } from '../models/config.ts';
import type { Recognizer } from '../shared/recognizer.ts';

/** Recognisers selectable with LPR_RECOGNIZER: `onnx` (the default, production) and `noop` (benchmarks). */
export const RECOGNIZER_NAMES = ['onnx', 'noop'] as const;
export type RecognizerName = (typeof RECOGNIZER_NAMES)[number];

/**
 * Creates the recogniser LPR_RECOGNIZER names. `options` are the recogniser settings read in the
 * process's one environment pass (readRecognizerConfig); models load in `warmup()`. Tests inject their
 * own recogniser instead (Worker / startWorker take one).
 */
export async function createRecognizer(
  name: RecognizerName,
  options: RecognizerOptions | undefined,
): Promise<Recognizer> {
  if (name === 'noop') return new (await import('./noop-recognizer.ts')).NoopRecognizer();
  const { createOnnxRecognizer, RECOGNIZER_DEFAULTS } = await import('../models/index.ts');
  // Every option is given, so createOnnxRecognizer reads nothing from the environment itself.
  return createOnnxRecognizer({}, options ?? RECOGNIZER_DEFAULTS);
}
