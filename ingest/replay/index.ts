export { createProgressReporter, formatSummary, type ProgressReporter } from './progress.ts';
export {
  REPLAY_DEFAULTS,
  type ReplayHooks,
  type ReplayOptions,
  type ReplayProgress,
  type ReplaySummary,
  replay,
} from './replay.ts';
export {
  type FrameSink,
  HttpSink,
  openSink,
  RedisSink,
  type ReplayTarget,
  type SendOutcome,
} from './sinks.ts';
export {
  jpegEnd,
  listFolder,
  type ReplaySource,
  readManifest,
  readSource,
  type SourceImage,
  videoFrames,
} from './sources.ts';
