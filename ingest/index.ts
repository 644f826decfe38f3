export { buildIngestApp, type IngestContext, type IngestDeps } from './app.ts';
export { CameraAuth } from './auth.ts';
export { BacklogMonitor, type BacklogReading, readBacklog } from './backlog-monitor.ts';
export {
  type AuthOptions,
  type BackpressureOptions,
  type BackpressurePolicy,
  INGEST_DEFAULTS,
  type IngestConfig,
  readIngestConfig,
} from './config.ts';
export { FRAMES_ROUTE } from './frames-route.ts';
export { detectImageType, inspectImage, readImageSize } from './image-header.ts';
export { createIngestMetrics, type IngestMetrics } from './metrics.ts';
export { type AddResult, FrameProducer } from './producer.ts';
export * from './replay/index.ts';
export { type IngestService, startIngest } from './service.ts';
