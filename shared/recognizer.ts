import type { ImageMime } from './codec/frame-codec.ts';

/**
 * The contract between the worker and plate recognition. The worker hands over image bytes and frame
 * metadata; the recogniser returns plate reads. Implementations: the ONNX recogniser in models/ (default),
 * and simple ones for tests and benchmarks.
 *
 * Errors: throw PlatestreamError('IMAGE_INVALID', ...) for input that can never be decoded (the worker
 * dead-letters it at once with the message); anything else is treated as transient and retried.
 */

/** Axis-aligned box in frame pixel coordinates. */
export interface PlateBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlateCandidate {
  /** Normalised text, A-Z0-9 only. */
  text: string;
  /** 0..1. */
  confidence: number;
  box: PlateBox;
  /** Per-character confidences (0..1), when the reader provides them. */
  charConfidences?: number[];
  /** Format rule that matched (e.g. "eu-generic", "LLL9999"), if any. */
  format?: string;
}

export interface RecognitionInput {
  /** Stream entry id of the frame (for log and error messages). */
  id: string;
  camera: string;
  ts: number;
  mime: ImageMime;
  img: Buffer;
  meta?: Record<string, unknown>;
  /**
   * Read only this rectangle of the frame (frame pixels): the region where a tracked plate is expected
   * (worker/track-gate.ts). Detection runs on it alone, in one pass, and plates outside the camera's region
   * of interest are still dropped. Absent: the whole frame (or the camera's region of interest).
   */
  region?: PlateBox;
}

export interface RecognitionResult {
  /** Best plate, '' when no plate was found. */
  plate: string;
  /** Confidence of the best plate, 0 when none. */
  confidence: number;
  box?: PlateBox;
  /** Top candidates, best first (may be empty). */
  candidates: PlateCandidate[];
  /** Id of the model (or model pair) that produced this result. */
  model: string;
  /** Milliseconds per stage, e.g. { decode, detect, read, choose }. */
  timings: Record<string, number>;
  /**
   * Set when the frame was not read: 'static' = same scene as its camera's last frame read in full (the
   * worker's static gate); plate is then '' and candidates empty.
   */
  skipped?: 'static';
  /** Decoded frame size in pixels. */
  width?: number;
  height?: number;
}

export interface Recognizer {
  /** Model id written into every result. */
  readonly id: string;
  /** Loads models and runs a warm-up inference; the worker reports ready only after it resolves. */
  warmup(): Promise<void>;
  recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult>;
  /** Idempotent. */
  close(): Promise<void>;
}
