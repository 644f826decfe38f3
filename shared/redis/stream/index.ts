/**
 * The stream-group toolkit: everything a stage needs to consume a Redis stream, written once.
 *
 * - blocking-reader.ts: `BlockingReader` (XREADGROUP and XREAD over one or several streams, finite BLOCK,
 *   watchdog on its own connection, optional group re-creation on NOGROUP).
 * - reclaimer.ts: `Reclaimer` (XAUTOCLAIM + delivery counts + dead-letter policy).
 * - ensure-group.ts: `ensureGroup`, `ensureGroups` (BUSYGROUP tolerated).
 * - tail.ts: `tailStreams` (read after an id, then follow; for tails and live feeds).
 * - newest.ts: `newestEntries` (`tail -n N` of a range, oldest first), `newestId`.
 * - entry-id.ts: id ↔ ms, compare, next / previous id.
 * - stream-entry.ts: the `StreamEntry` type and the reply parser.
 * - group-info.ts: XINFO GROUPS parsing (lag, pending, consumers).
 * - ../reply-error.ts (re-exported): Redis error replies matched by code (BUSYGROUP, NOGROUP, OOM, ...).
 */
export {
  BlockingReader,
  type BlockingReaderOptions,
  type GroupReadRequest,
  type PlainReadRequest,
  type StreamCursor,
} from './blocking-reader.ts';
export { type EnsureGroupOptions, ensureGroup, ensureGroups } from './ensure-group.ts';
export {
  compareIds,
  type EntryId,
  entryIdMs,
  idFromMs,
  isEntryId,
  MAX_SEQ,
  MIN_ENTRY_ID,
  nextId,
  parseEntryId,
  previousId,
} from './entry-id.ts';
export { newestEntries, newestId } from './newest.ts';
export { fieldPairs, type GroupInfo, nullableNumber, parseGroupInfo } from './group-info.ts';
export {
  type ClaimedEntry,
  type DeadLetterPolicy,
  type ReclaimerHooks,
  type ReclaimerOptions,
  type ReclaimRound,
  Reclaimer,
} from './reclaimer.ts';
export { entryFields, fieldValue, parseReadReply, type ReadReply, type StreamEntry } from './stream-entry.ts';
export { type TailOptions, tailStreams } from './tail.ts';
export {
  isBusyGroup,
  isNoGroup,
  isNoScript,
  isRedisError,
  isServerRefusal,
  type KnownRedisErrorCode,
  REDIS_ERROR,
  redisErrorCode,
} from '../reply-error.ts';
