import * as ort from 'onnxruntime-node';
import type { Quad } from '../geometry/quad.ts';
import type { RgbImage } from '../image/decode.ts';
import { warpToFloatChw } from '../image/warp.ts';
import type { LoadedModel } from '../loader.ts';
import { ctcDecode } from './ctc-decode.ts';
import type { ReadResult, TextReader } from './reader.ts';

/** Parses the PP-OCR dictionary: one character per line; the model's classes are blank + keys + space. */
export function parsePpocrKeys(text: string): string[] {
  const keys = text.split(/\r?\n/);
  if (keys.length && keys[keys.length - 1] === '') keys.pop();
  return [...keys, ' '];
}

export interface PpocrRecOptions {
  height: number;
  /** Widest crop in pixels after resizing to `height` (longer lines are squeezed). */
  maxWidth: number;
  batchSize: number;
}

export const PPOCR_REC_DEFAULTS: PpocrRecOptions = { height: 48, maxWidth: 320, batchSize: 8 };

/** PP-OCRv4 text-line recogniser (CTC). */
export class PpocrTextReader implements TextReader {
  readonly id: string;
  readonly input = 'line' as const;

  constructor(
    private readonly model: LoadedModel,
    private readonly keys: readonly string[],
    private readonly opts: PpocrRecOptions = PPOCR_REC_DEFAULTS,
  ) {
    this.id = model.entry.id;
  }

  private widthOf(q: Quad): number {
    const w = Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y);
    const h = Math.max(1, Math.hypot(q[3].x - q[0].x, q[3].y - q[0].y));
    return Math.max(16, Math.min(this.opts.maxWidth, Math.ceil((this.opts.height * w) / h)));
  }

  async read(img: RgbImage, quads: readonly Quad[]): Promise<ReadResult[]> {
    const results = new Array<ReadResult>(quads.length);
    // Similar widths in one batch keeps padding small.
    const order = quads.map((q, i) => ({ i, w: this.widthOf(q) })).sort((a, b) => a.w - b.w);
    const H = this.opts.height;
    const charOf = (i: number) => this.keys[i - 1] ?? '';
    for (let start = 0; start < order.length; start += this.opts.batchSize) {
      const batch = order.slice(start, start + this.opts.batchSize);
      const W = batch[batch.length - 1]!.w;
      const plane = H * W;
      const data = new Float32Array(batch.length * 3 * plane); // zero = padding
      for (let k = 0; k < batch.length; k++) {
        const b = batch[k]!;
        warpToFloatChw(img, quads[b.i]!, b.w, H, data, k * 3 * plane, W, plane, 0.5, 0.5);
      }
      const input = new ort.Tensor('float32', data, [batch.length, 3, H, W]);
      const out = await this.model.session.run({ [this.model.entry.input!.name]: input });
      const t = out[this.model.entry.output!.name]!;
      const [, steps, classes] = t.dims as [number, number, number];
      const probs = t.data as Float32Array;
      batch.forEach((b, k) => {
        results[b.i] = ctcDecode(probs, k * steps * classes, steps, classes, charOf);
      });
      t.dispose();
    }
    return results;
  }
}
