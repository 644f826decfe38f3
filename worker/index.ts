export {
  type CompleteOutcome,
  completeFrame,
  deadLetter,
} from './completion.ts';
export {
  CLAIM_IDLE_FACTOR,
  readWorkerConfig,
  WORKER_DEFAULTS,
  type WorkerConfig,
  type WorkerOptions,
} from './config.ts';
export { WorkerMetrics } from './metrics.ts';
export { createRecognizer, RECOGNIZER_NAMES } from './recognizers.ts';
export {
  type EnrichHook,
  type Enrichment,
  type FrameOutcome,
  type FrameTimings,
  Worker,
  type WorkerDeps,
} from './worker.ts';
