import * as ort from 'onnxruntime-node';
import type { RgbImage } from '../image/decode.ts';
import { resizeRgb } from '../image/decode.ts';
import type { LoadedModel } from '../loader.ts';
import { DB_DEFAULTS, type DbOptions, dbBoxes, scaleRect } from './db-postprocess.ts';
import type { DetectedBox, TextDetector } from './detector.ts';

const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

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
    const { w, h } = detInputSize(img.width, img.height, this.opts.size, this.opts.upscale);
    const small = await resizeRgb(img, w, h);
    const plane = w * h;
    const data = new Float32Array(3 * plane);
    const src = small.data;
    for (let c = 0; c < 3; c++) {
      const k = 1 / (255 * STD[c]!);
      const m = MEAN[c]! / STD[c]!;
      const off = c * plane;
      for (let i = 0, s = c; i < plane; i++, s += 3) data[off + i] = src[s]! * k - m;
    }
    const input = new ort.Tensor('float32', data, [1, 3, h, w]);
    const inName = this.model.entry.input!.name;
    const outName = this.model.entry.output!.name;
    const out = await this.model.session.run({ [inName]: input });
    const prob = out[outName]!;
    const dims = prob.dims;
    const mh = dims[2]!;
    const mw = dims[3]!;
    const boxes = dbBoxes(prob.data as Float32Array, mw, mh, this.opts.db);
    prob.dispose();
    const sx = img.width / mw;
    const sy = img.height / mh;
    return boxes.map((b) => ({ rect: scaleRect(b.rect, sx, sy), score: b.score, isPlate: false }));
  }
}
