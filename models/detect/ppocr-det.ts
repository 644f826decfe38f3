import * as ort from 'onnxruntime-node';
import type { RgbImage } from '../image/decode.ts';
import { resizeRgb } from '../image/decode.ts';
import type { LoadedModel } from '../loader.ts';
import { DB_DEFAULTS, type DbOptions, dbBoxes, scaleRect } from './db-postprocess.ts';
import type { DetectedBox, TextDetector } from './detector.ts';

const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

/** (v / 255 - mean) / std for every byte value v of each channel: R at 0, G at 256, B at 512. */
const NORMALISED = (() => {
  const lut = new Float32Array(768);
  for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - MEAN[c]!) / STD[c]!;
  return lut;
})();

/** Packed RGB bytes → normalised float CHW planes, in one pass over the pixels. */
export function toChwTensorData(src: Uint8Array, plane: number): Float32Array {
  const data = new Float32Array(3 * plane);
  const lut = NORMALISED;
  const g = plane;
  const b = 2 * plane;
  for (let i = 0, s = 0; i < plane; i++, s += 3) {
    data[i] = lut[src[s]!]!;
    data[g + i] = lut[256 + src[s + 1]!]!;
    data[b + i] = lut[512 + src[s + 2]!]!;
  }
  return data;
}

export interface PpocrDetOptions {
  /** Longest side of the detector input in pixels (rounded to a multiple of 32). */
  size: number;
  /** Also enlarge frames smaller than `size` (helps tiny plates, costs time). */
  upscale: boolean;
  db: DbOptions;
}

export const PPOCR_DET_DEFAULTS: PpocrDetOptions = { size: 960, upscale: false, db: DB_DEFAULTS };

/** Detector input size for a frame: longest side limited to `size`, both sides multiples of 32. */
export function detInputSize(
  width: number,
  height: number,
  size: number,
  upscale: boolean,
): { w: number; h: number } {
  const longest = Math.max(width, height);
  const scale = longest > size || upscale ? size / longest : 1;
  const round32 = (v: number) => Math.max(32, Math.round((v * scale) / 32) * 32);
  return { w: round32(width), h: round32(height) };
}

/** PP-OCRv4 DB text detector. */
export class PpocrTextDetector implements TextDetector {
  readonly id: string;

  constructor(
    private readonly model: LoadedModel,
    private readonly opts: PpocrDetOptions = PPOCR_DET_DEFAULTS,
  ) {
    this.id = model.entry.id;
  }

  async detect(img: RgbImage): Promise<DetectedBox[]> {
    return (await this.detectEach(img, [this.opts.db]))[0]!;
  }

  /** One inference, its probability map read once per DB setting (boxes in frame pixels for each). */
  async detectEach(img: RgbImage, dbs: readonly DbOptions[]): Promise<DetectedBox[][]> {
    const { w, h } = detInputSize(img.width, img.height, this.opts.size, this.opts.upscale);
    const small = await resizeRgb(img, w, h);
    const input = new ort.Tensor('float32', toChwTensorData(small.data, w * h), [1, 3, h, w]);
    const inName = this.model.entry.input!.name;
    const outName = this.model.entry.output!.name;
    const out = await this.model.session.run({ [inName]: input });
    const prob = out[outName]!;
    const dims = prob.dims;
    const mh = dims[2]!;
    const mw = dims[3]!;
    const sx = img.width / mw;
    const sy = img.height / mh;
    try {
      return dbs.map((db) =>
        dbBoxes(prob.data as Float32Array, mw, mh, db).map((b) => ({
          rect: scaleRect(b.rect, sx, sy),
          score: b.score,
          isPlate: false,
        })),
      );
    } finally {
      prob.dispose();
    }
  }
}
