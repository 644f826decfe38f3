import * as ort from 'onnxruntime-node';
import type { Quad } from '../geometry/quad.ts';
import type { RgbImage } from '../image/decode.ts';
import { warpToUint8 } from '../image/warp.ts';
import type { LoadedModel } from '../loader.ts';
import { slotDecode } from './ctc-decode.ts';
import type { ReadResult, TextReader } from './reader.ts';

/** fast-plate-ocr CCT reader: uint8 NHWC [N, H, W, 3] whole-plate crops → [N, slots, alphabet]. */
export class CctPlateReader implements TextReader {
  readonly id: string;
  readonly input = 'plate' as const;
  private readonly h: number;
  private readonly w: number;
  private readonly alphabet: string;

  constructor(
    private readonly model: LoadedModel,
    private readonly batchSize = 16,
  ) {
    this.id = model.entry.id;
    const shape = model.entry.input!.shape;
    this.h = shape[1]!;
    this.w = shape[2]!;
    this.alphabet = model.entry.vocabulary!;
  }

  async read(img: RgbImage, quads: readonly Quad[]): Promise<ReadResult[]> {
    const results: ReadResult[] = [];
    for (let start = 0; start < quads.length; start += this.batchSize) {
      const batch = quads.slice(start, start + this.batchSize);
      const per = this.h * this.w * 3;
      const data = new Uint8Array(batch.length * per);
      for (let i = 0; i < batch.length; i++) warpToUint8(img, batch[i]!, this.w, this.h, data, i * per);
      const input = new ort.Tensor('uint8', data, [batch.length, this.h, this.w, 3]);
      const out = await this.model.session.run({ [this.model.entry.input!.name]: input });
      const t = out[this.model.entry.output!.name]!;
      const [, slots, classes] = t.dims as [number, number, number];
      const probs = t.data as Float32Array;
      for (let i = 0; i < batch.length; i++) {
        results.push(slotDecode(probs, i * slots * classes, slots, this.alphabet, '_'));
      }
      t.dispose();
    }
    return results;
  }
}
