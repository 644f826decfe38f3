import type { Quad } from '../geometry/quad.ts';
import type { RgbImage } from '../image/decode.ts';

/** One character as read, with the reader's confidence (0..1). */
export interface ReadChar {
  ch: string;
  confidence: number;
}

export interface ReadResult {
  /** Raw text in the reader's alphabet (may hold separators and non-Latin characters). */
  text: string;
  chars: ReadChar[];
  /** 0..1 confidence of the whole read. */
  confidence: number;
}

/**
 * Reads the text in straightened crops. `input` says what the reader expects:
 * 'plate' — the whole plate with a margin (plate-specific readers), 'line' — a text line.
 * All crops of a frame are read in one call (batched).
 */
export interface TextReader {
  readonly id: string;
  readonly input: 'plate' | 'line';
  read(img: RgbImage, quads: readonly Quad[]): Promise<ReadResult[]>;
}
