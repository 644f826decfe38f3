import type { Logger } from '../shared/logger.ts';
import type { Recognizer } from '../shared/recognizer.ts';
import { type RecognizerOptions, recognizerConfigFromEnv } from './config.ts';
import { OnnxRecognizer, type RecognizerPlugins, selectReader } from './onnx-recognizer.ts';
import { RECOGNIZER_POOL_DEFAULTS, RecognizerPool } from './pool/recognizer-pool.ts';

export {
  RECOGNIZER_DEFAULTS,
  type RecognizerOptions,
  readRecognizerConfig,
  recognizerConfigFromEnv,
} from './config.ts';
export { MODELS, type ModelEntry } from './manifest.ts';
export type { DetectedBox, TextDetector } from './detect/detector.ts';
export { OnnxRecognizer, type RecognizerPlugins } from './onnx-recognizer.ts';
export { RecognizerPool, type RecognizerPoolOptions } from './pool/recognizer-pool.ts';
export type { ReadResult, TextReader } from './read/reader.ts';

/**
 * Creates the default ONNX recogniser from the environment (LPR_MODEL_DIR, LPR_RECOGNIZER_THREADS,
 * LPR_THREADS, LPR_DET_SIZE, LPR_READER, LPR_PLATE_FORMATS, LPR_CAMERA_FORMATS, ...). Models load (sha256 +
 * shape checks) in `warmup()`. With more than one recogniser thread (the default on a multi-core machine) it
 * is a RecognizerPool of worker threads; with 1, an OnnxRecognizer on the calling thread. `plugins` replaces
 * the detector and/or reader (e.g. a dedicated plate detector) without touching the worker; plugins are
 * objects of this thread, so a recogniser with plugins always runs on the calling thread.
 */
export async function createOnnxRecognizer(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<RecognizerOptions> = {},
  logger?: Logger,
  plugins: RecognizerPlugins = {},
): Promise<Recognizer> {
  const opts = Object.freeze({ ...recognizerConfigFromEnv(env), ...overrides });
  if (opts.recognizerThreads > 1 && !plugins.detector && !plugins.reader)
    return new RecognizerPool(opts, { ...RECOGNIZER_POOL_DEFAULTS, threads: opts.recognizerThreads }, logger);
  return new OnnxRecognizer(opts, plugins.reader ? plugins.reader.id : selectReader(opts), logger, plugins);
}
