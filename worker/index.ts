export {
  type AlertPayload,
  type CompleteOutcome,
  completeFrame,
  deadLetter,
  ensureGroup,
} from './completion.ts';
export {
  CLAIM_IDLE_FACTOR,
  readWorkerConfig,
  WORKER_DEFAULTS,
  type WorkerConfig,
  type WorkerOptions,
} from './config.ts';
export { WorkerMetrics } from './metrics.ts';
export { createRecognizer, registerRecognizer, RECOGNIZER_NAMES } from './recognizers.ts';
export { type AlertHook, type FrameOutcome, type FrameTimings, Worker, type WorkerDeps } from './worker.ts';
