import type { Logger } from '../shared/logger.ts';
import type { Recognizer } from '../shared/recognizer.ts';
import { type RecognizerOptions, recognizerConfigFromEnv } from './config.ts';
import { OnnxRecognizer, type RecognizerPlugins, selectReader } from './onnx-recognizer.ts';

export {
  RECOGNIZER_DEFAULTS,
  type RecognizerOptions,
  readRecognizerConfig,
  recognizerConfigFromEnv,
} from './config.ts';
export { MODELS, type ModelEntry } from './manifest.ts';
export type { DetectedBox, TextDetector } from './detect/detector.ts';
export { OnnxRecognizer, type RecognizerPlugins } from './onnx-recognizer.ts';
export type { ReadResult, TextReader } from './read/reader.ts';

/**
 * Creates the default ONNX recogniser from the environment (LPR_MODEL_DIR, LPR_THREADS, LPR_DET_SIZE,
 * LPR_READER, LPR_PLATE_FORMATS, LPR_CAMERA_FORMATS, ...). Models load (sha256 + shape checks) in `warmup()`.
 * `plugins` replaces the detector and/or reader (e.g. a dedicated plate detector) without touching the worker.
 */
export async function createOnnxRecognizer(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<RecognizerOptions> = {},
  logger?: Logger,
  plugins: RecognizerPlugins = {},
): Promise<Recognizer> {
  const opts = Object.freeze({ ...recognizerConfigFromEnv(env), ...overrides });
  return new OnnxRecognizer(opts, plugins.reader ? plugins.reader.id : selectReader(opts), logger, plugins);
}
