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
  /**
   * Recogniser threads of one process (LPR_RECOGNIZER_THREADS): worker threads, each with its own ONNX
   * sessions, reading frames side by side (models/pool). onnxruntime-node runs inference synchronously on the
   * calling thread, so frames in flight (WORKER_CONCURRENCY) use several cores only through these threads.
   * Default: the cores (availableParallelism), at most 8, and at most the frames in flight when those are
   * set lower. 1 = no threads: the recogniser runs on the event loop, as before (use LPR_THREADS then).
   */
  recognizerThreads: number;
  /**
   * onnxruntime intra-op threads per session (LPR_THREADS); 0 = onnxruntime's choice. With a pool, per
   * recogniser thread: default 1 (intra-op threads cost ~40 % more CPU per frame for ~10 % less latency,
   * MODEL_CARD.md); without a pool (LPR_RECOGNIZER_THREADS=1) default min(4, cores), the only way that one
   * recogniser uses several cores.
   */
  threads: number;
  /** Let idle onnxruntime threads spin-wait (LPR_SPIN): a little lower latency on a dedicated machine, much
   * wasted CPU when workers share cores (measured: 2x CPU per photo on a busy 2-core machine). */
  spin: boolean;
  /** Longest side of the text-detector input (LPR_DET_SIZE). */
  detSize: number;
  /**
   * Coarse-to-fine detection (LPR_DET_COARSE_SIZE) of frames larger than 1024 px: a coarse pass over the
   * whole frame finds candidate text, which is detected again in full-resolution windows (see
   * detect/coarse-to-fine.ts). 'auto' (the default): the coarse side follows from the frame size and
   * `plateMinChar`; a number: that fixed side; 0: off, one pass at detSize for every frame.
   */
  detCoarseSize: number | 'auto';
  /**
   * Smallest plate character height to read in frames over 1024 px, as a share of the frame's shorter side
   * (LPR_PLATE_MIN_CHAR; 0.02 = 22 px at 1080p, 14 px at 720p). Sets the automatic coarse side: smaller
   * plates need a larger, dearer coarse pass.
   */
  plateMinChar: number;
  /**
   * A frame detected coarse-to-fine whose best plate has a confidence below this (or that has none) is
   * detected again in one pass at detSize, and the better best plate wins (LPR_DET_FALLBACK_BELOW; 0 =
   * never). Keeps plates a coarse pass misses, at the cost of frames without a confident plate.
   */
  detFallbackBelow: number;
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
  /**
   * A plate reader reads every text line with the first of plateCrops; the other crops are read only for
   * this many lines, those whose first read scored best (LPR_PLATE_CROPS_TOP; 0 = first crop only).
   */
  plateCropsTop: number;
  /** Per-camera formats (LPR_CAMERA_FORMATS="cam-a=gb;cam-b=LLL9999,LLL9L99"); override `formats`. */
  cameraFormats: Readonly<Record<string, readonly string[]>>;
  /**
   * Per-camera regions of interest in frame pixels (LPR_CAMERA_ROI="cam-a=0,400 1920,400 1920,1080 0,1080",
   * or CAMERA=x,y,w,h): detection runs on the region's bounding crop only and plates outside it are dropped.
   */
  cameraRoi: Readonly<Record<string, Roi>>;
}

/** Recogniser threads by default: one per core, at most this many (each holds its own sessions). */
const MAX_DEFAULT_RECOGNIZER_THREADS = 8;

/** LPR_THREADS by default: 1 per recogniser thread of a pool; without a pool, min(4, cores). */
function defaultIntraOpThreads(recognizerThreads: number): number {
  return recognizerThreads > 1 ? 1 : Math.min(4, availableParallelism());
}

const DEFAULT_RECOGNIZER_THREADS = Math.min(MAX_DEFAULT_RECOGNIZER_THREADS, availableParallelism());

export const RECOGNIZER_DEFAULTS: RecognizerOptions = {
  modelDir: defaultModelDir(),
  recognizerThreads: DEFAULT_RECOGNIZER_THREADS,
  threads: defaultIntraOpThreads(DEFAULT_RECOGNIZER_THREADS),
  spin: false,
  detSize: 960,
  detCoarseSize: 'auto',
  plateMinChar: 0.02,
  detFallbackBelow: 0.95,
  detUpscale: false,
  reader: 'auto',
  maxRegions: 16,
  maxCandidates: 5,
  minConfidence: 0.2,
  formats: [],
  cameraFormats: {},
  cameraRoi: {},
  plateCrops: [
    [0.6, 1.9],
    [0.3, 1.5],
    [0.9, 2.4],
  ],
  plateCropsTop: 1,
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

/** LPR_DET_COARSE_SIZE: `auto`, 0 (off) or a side from 160 to 2560. */
function parseCoarseSize(
  r: EnvReader,
  name: string,
  raw: string | undefined,
  d: RecognizerOptions,
): RecognizerOptions['detCoarseSize'] {
  const v = raw?.trim();
  if (!v) return d.detCoarseSize;
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (Number.isInteger(n) && (n === 0 || (n >= 160 && n <= 2560))) return n;
  r.problem(name, `"${v}" is not auto, 0 (off) or a side in pixels from 160 to 2560`);
  return d.detCoarseSize;
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

/**
 * Reads recogniser options from the environment; all problems reported together; result frozen.
 * `framesInFlight`: the frames the caller will have in flight at most when it set that explicitly
 * (WORKER_CONCURRENCY); the default number of recogniser threads is not above it (more could never work).
 */
export function readRecognizerConfig(
  r: EnvReader,
  env: Env = process.env,
  hints: CameraHints = readCameraHints(r, env),
  framesInFlight?: number,
): Readonly<RecognizerOptions> {
  const d = RECOGNIZER_DEFAULTS;
  const recognizerThreads = r.int(
    'LPR_RECOGNIZER_THREADS',
    Math.min(d.recognizerThreads, framesInFlight ?? d.recognizerThreads),
    { min: 1, max: 64 },
  );
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
    recognizerThreads,
    threads: r.int('LPR_THREADS', defaultIntraOpThreads(recognizerThreads), { min: 0, max: 64 }),
    spin: r.bool('LPR_SPIN', d.spin),
    detSize: r.int('LPR_DET_SIZE', d.detSize, { min: 320, max: 2560 }),
    detCoarseSize: parseCoarseSize(r, 'LPR_DET_COARSE_SIZE', r.optionalString('LPR_DET_COARSE_SIZE'), d),
    plateMinChar: r.number('LPR_PLATE_MIN_CHAR', d.plateMinChar, { min: 0.005, max: 0.2 }),
    detFallbackBelow: r.number('LPR_DET_FALLBACK_BELOW', d.detFallbackBelow, { min: 0, max: 1 }),
    detUpscale: r.bool('LPR_DET_UPSCALE', d.detUpscale),
    reader: r.oneOf<ReaderChoice>('LPR_READER', d.reader, ['auto', 'cct', 'ppocr']),
    maxRegions: r.int('LPR_MAX_REGIONS', d.maxRegions, { min: 1, max: 100 }),
    maxCandidates: r.int('LPR_MAX_CANDIDATES', d.maxCandidates, { min: 1, max: 50 }),
    minConfidence: r.number('LPR_MIN_CONFIDENCE', d.minConfidence, { min: 0, max: 1 }),
    formats,
    plateCropsTop: r.int('LPR_PLATE_CROPS_TOP', d.plateCropsTop, { min: 0, max: 100 }),
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
