export { annotateImage, type AnnotateInput } from './annotate.ts';
export { compileFilter, parseFrom, plateGlobToRegExp, type ResultFilter } from './filters.ts';
export { formatResultLine, latencyMs, resultJson } from './format.ts';
export {
  PLATE_INDEX_DEFAULTS,
  type PlateIndexOptions,
  queueSighting,
  readSightings,
  type Sighting,
} from '../shared/redis/plate-index.ts';
export { type ReadResultsOptions, readResults } from './result-reader.ts';
