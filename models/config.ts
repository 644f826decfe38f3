import { availableParallelism } from 'node:os';
import { type CameraHints, readCameraHints } from '../shared/config/camera-hints.ts';
import { parseCameraRois, type Roi } from '../shared/config/camera-roi.ts';
import { deepFreeze, type Env, EnvReader } from '../shared/config/env-reader.ts';
import { defaultModelDir } from './paths.ts';
import { expandFormats } from './plate/formats.ts';

export type ReaderChoice = 'auto' | 'cct' | 'ppocr';

export interface RecognizerOptions {
  /** Folder of optional model files (LPR_MODEL_DIR). */
  modelDir: string;
  /** onnxruntime intra-op threads per session (LPR_THREADS); 0 = onnxruntime's choice. */
  threads: number;
  /** Let idle onnxruntime threads spin-wait (LPR_SPIN): a little lower latency on a dedicated machine, much
   * wasted CPU when workers share cores (measured: 2x CPU per photo on a busy 2-core machine). */
  spin: boolean;
  /** Longest side of the text-detector input (LPR_DET_SIZE). */
  detSize: number;
  /**
   * Coarse-to-fine detection (LPR_DET_COARSE_SIZE): frames larger than 1024 px are first detected at this
   * side; tall text lines are kept, small ones are detected again in a full-resolution window. 0 (the
   * default) = one pass at detSize for every frame: coarse-to-fine halves HD detection cost but lost 2 of
   * 24 synthetic HD plates that one pass at 960 read (see MODEL_CARD.md), so it is opt-in.
   */
  detCoarseSize: number;
  /** Enlarge frames smaller than detSize before detection (LPR_DET_UPSCALE). */
  detUpscale: boolean;
  /** Plate reader: cct (needs the file), ppocr (registry default), auto = cct when present (LPR_READER). */
  reader: ReaderChoice;
  /** Text regions read per frame at most (LPR_MAX_REGIONS). */
  maxRegions: number;
  /** Candidates reported per frame at most (LPR_MAX_CANDIDATES). */
  maxCandidates: number;
  /** Candidates below this confidence are not reported (LPR_MIN_CONFIDENCE). */
  minConfidence: number;
  /** Default plate formats: region names or patterns (LPR_PLATE_FORMATS, comma-separated). */
  formats: readonly string[];
  /**
   * Whole-plate crops read per text line by a plate reader, as [margin each side in line heights, height
   * factor] (LPR_PLATE_CROPS="0.1x1.1,0.3x1.4"); the best-scoring read of a line wins.
   */
  plateCrops: readonly (readonly [number, number])[];
  /** Per-camera formats (LPR_CAMERA_FORMATS="cam-a=gb;cam-b=LLL9999,LLL9L99"); override `formats`. */
  cameraFormats: Readonly<Record<string, readonly string[]>>;
  /**
   * Per-camera regions of interest in frame pixels (LPR_CAMERA_ROI="cam-a=0,400 1920,400 1920,1080 0,1080",
   * or CAMERA=x,y,w,h): detection runs on the region's bounding crop only and plates outside it are dropped.
   */
  cameraRoi: Readonly<Record<string, Roi>>;
}

export const RECOGNIZER_DEFAULTS: RecognizerOptions = {
  modelDir: defaultModelDir(),
  threads: Math.min(4, availableParallelism()),
  spin: false,
  detSize: 960,
  detCoarseSize: 0,
  detUpscale: false,
  reader: 'auto',
  maxRegions: 16,
  maxCandidates: 5,
  minConfidence: 0.2,
  formats: [],
  cameraFormats: {},
  cameraRoi: {},
  plateCrops: [
    [0.3, 1.5],
    [0.6, 1.9],
    [0.9, 2.4],
  ],
};

/** Parses "0.1x1.1,0.3x1.4" into crop growth pairs. */
export function parsePlateCrops(
  r: EnvReader,
  name: string,
  raw: string | undefined,
  def: RecognizerOptions['plateCrops'],
) {
  if (!raw) return def;
  const out: [number, number][] = [];
  for (const part of list(raw)) {
    const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(part);
    const margin = Number(m?.[1]);
    const scale = Number(m?.[2]);
    if (!m || margin > 3 || scale < 0.5 || scale > 4) {
      r.problem(name, `"${part}" is not MARGINxSCALE with margin 0..3 and scale 0.5..4 (e.g. 0.1x1.1)`);
      continue;
    }
    out.push([margin, scale]);
  }
  return out.length ? out : def;
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses `cam=fmt,fmt;cam2=fmt` into a map; problems are reported through the reader. */
export function parseCameraFormats(
  r: EnvReader,
  name: string,
  raw: string | undefined,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!raw) return out;
  for (const part of raw.split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const cam = eq > 0 ? part.slice(0, eq).trim() : '';
    const formats = list(eq > 0 ? part.slice(eq + 1) : '');
    if (!cam || formats.length === 0) {
      r.problem(name, `"${part.trim()}" is not camera=format[,format]`);
      continue;
    }
    const { unknown } = expandFormats(formats);
    if (unknown.length) r.problem(name, `camera ${cam}: unknown format(s) ${unknown.join(', ')}`);
    out[cam] = formats;
  }
  return out;
}

/** Reads recogniser options from the environment; all problems reported together; result frozen. */
export function readRecognizerConfig(
  r: EnvReader,
  env: Env = process.env,
  hints: CameraHints = readCameraHints(r, env),
): Readonly<RecognizerOptions> {
  const d = RECOGNIZER_DEFAULTS;
  const formats = list(r.optionalString('LPR_PLATE_FORMATS'));
  const { unknown } = expandFormats(formats);
  if (unknown.length) {
    r.problem(
      'LPR_PLATE_FORMATS',
      `unknown format(s) ${unknown.join(', ')}; use a region name or a pattern of L, 9, A`,
    );
  }
  const opts: RecognizerOptions = {
    modelDir: r.string('LPR_MODEL_DIR', defaultModelDir(env)),
    threads: r.int('LPR_THREADS', d.threads, { min: 0, max: 64 }),
    spin: r.bool('LPR_SPIN', d.spin),
    detSize: r.int('LPR_DET_SIZE', d.detSize, { min: 320, max: 2560 }),
    detCoarseSize: r.int('LPR_DET_COARSE_SIZE', d.detCoarseSize, { min: 0, max: 2560 }),
    detUpscale: r.bool('LPR_DET_UPSCALE', d.detUpscale),
    reader: r.oneOf<ReaderChoice>('LPR_READER', d.reader, ['auto', 'cct', 'ppocr']),
    maxRegions: r.int('LPR_MAX_REGIONS', d.maxRegions, { min: 1, max: 100 }),
    maxCandidates: r.int('LPR_MAX_CANDIDATES', d.maxCandidates, { min: 1, max: 50 }),
    minConfidence: r.number('LPR_MIN_CONFIDENCE', d.minConfidence, { min: 0, max: 1 }),
    formats,
    plateCrops: parsePlateCrops(r, 'LPR_PLATE_CROPS', r.optionalString('LPR_PLATE_CROPS'), d.plateCrops),
    cameraFormats: parseCameraFormats(r, 'LPR_CAMERA_FORMATS', r.optionalString('LPR_CAMERA_FORMATS')),
    cameraRoi: {
      ...hints.rois,
      ...parseCameraRois(r, 'LPR_CAMERA_ROI', r.optionalString('LPR_CAMERA_ROI')),
    },
  };
  return deepFreeze(opts);
}

/** Convenience: parse from an env object and throw CONFIG_INVALID listing every problem. */
export function recognizerConfigFromEnv(env: Env = process.env): Readonly<RecognizerOptions> {
  const r = new EnvReader(env);
  const opts = readRecognizerConfig(r, env);
  r.finish();
  return opts;
}
