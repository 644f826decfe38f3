import type { RotatedRect } from '../geometry/quad.ts';
import type { RgbImage } from '../image/decode.ts';

/** One detected text line (or plate) in frame pixel coordinates. */
export interface DetectedBox {
  rect: RotatedRect;
  /** 0..1 detector confidence. */
  score: number;
  /** true when the detector finds whole plates (a plate detector), false for text lines. */
  isPlate: boolean;
}

/**
 * A detector finds regions that may hold plate text. The default finds text lines (PP-OCRv4 DB);
 * a dedicated plate detector can implement the same interface and set `isPlate`.
 */
export interface TextDetector {
  readonly id: string;
  detect(img: RgbImage): Promise<DetectedBox[]>;
}
