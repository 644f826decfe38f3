import { type ErrorCode, PlatestreamError, toPlatestreamError } from '../../shared/errors.ts';
import type { RecognitionInput, RecognitionResult } from '../../shared/recognizer.ts';
import type { RecognizerOptions } from '../config.ts';

/**
 * Messages between the recogniser pool (main thread) and its recogniser threads. Everything is plain data
 * (structured clone); a frame's image bytes travel in an ArrayBuffer that is transferred, not copied.
 */

/** What a thread starts with (workerData). */
export interface ThreadData {
  /** Index of the thread in its pool (0..size-1), for log lines. */
  index: number;
  options: RecognizerOptions;
  /** pino level of the pool's logger. */
  logLevel: string;
  /** Under tsx: the .ts entry the bootstrap imports after registering tsx. */
  entry?: string;
}

/** A frame as it crosses to a thread: `img` is a view of a transferred ArrayBuffer. */
export type WireInput = Omit<RecognitionInput, 'img'> & { img: Uint8Array };

export type ToThread =
  | { type: 'warmup' }
  | { type: 'frame'; seq: number; input: WireInput }
  /** The caller gave up on the frame: stop at the recogniser's next abort check. */
  | { type: 'abort'; seq: number }
  /** Release the models and answer `closed`; the pool then ends the thread. */
  | { type: 'close' };

export type FromThread =
  | { type: 'ready' }
  | { type: 'warmup-failed'; error: WireError }
  | { type: 'result'; seq: number; result: RecognitionResult }
  | { type: 'failed'; seq: number; error: WireError }
  | { type: 'closed' };

/** A PlatestreamError as plain data: its code, message and (cloneable) details survive the crossing. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function errorToWire(err: unknown): WireError {
  const e = toPlatestreamError(err, 'RECOGNITION_FAILED');
  return { code: e.code, message: e.message, ...(e.details ? { details: { ...e.details } } : {}) };
}

export function errorFromWire(w: WireError): PlatestreamError {
  return new PlatestreamError(w.code, w.message, w.details ? { details: w.details } : {});
}

/**
 * The frame for a thread, its bytes copied into a fresh ArrayBuffer to transfer: the caller's Buffer is
 * often a slice of a shared pool (Redis replies, Buffer.from), which must not be detached.
 */
export function inputToWire(input: RecognitionInput): { input: WireInput; transfer: ArrayBuffer[] } {
  const img = new Uint8Array(input.img.byteLength);
  img.set(input.img);
  return { input: { ...input, img }, transfer: [img.buffer] };
}

export function inputFromWire(input: WireInput): RecognitionInput {
  return { ...input, img: Buffer.from(input.img.buffer, input.img.byteOffset, input.img.byteLength) };
}
