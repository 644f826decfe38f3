import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Roi, roiBounds } from '../shared/config/camera-roi.ts';
import { PlatestreamError, toPlatestreamError } from '../shared/errors.ts';
import { insidePolygon } from '../shared/image/static-scene.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import type {
  PlateBox,
  PlateCandidate,
  RecognitionInput,
  RecognitionResult,
  Recognizer,
} from '../shared/recognizer.ts';
import type { RecognizerOptions } from './config.ts';
import type { DetectedBox, TextDetector } from './detect/detector.ts';
import { COARSE_TO_FINE_DEFAULTS, CoarseToFineDetector } from './detect/coarse-to-fine.ts';
import { PPOCR_DET_DEFAULTS, PpocrTextDetector } from './detect/ppocr-det.ts';
import { type Quad, type RotatedRect, rectCorners } from './geometry/quad.ts';
import { cropRgb, decodeRgb, type RgbImage } from './image/decode.ts';
import { type LoadedModel, loadModel, verifyModelFile } from './loader.ts';
import { findModel, type ModelEntry } from './manifest.ts';
import { modelPath } from './paths.ts';
import {
  choosePlates,
  type ScoredRead,
  scoreRead,
  WEAKEST_DROP_PENALTY,
  withoutWeakest,
} from './plate/choose.ts';
import { expandFormats } from './plate/formats.ts';
import { growToPlate, LINE_DEFAULTS, type LineRegion, lineRegions } from './plate/lines.ts';
import { CctPlateReader } from './read/cct-reader.ts';
import { PpocrTextReader, parsePpocrKeys } from './read/ppocr-rec.ts';
import type { TextReader } from './read/reader.ts';

/**
 * The plate outline reported for a text line. PP-OCRv4's unclipped line box already spans about the plate's
 * height (measured: median plate height / line height 0.99 on openalpr-eu), plus a little width either side.
 */
export const REPORTED_PLATE_GROWTH = [0.1, 1.0] as const;

/**
 * The crop a line reader gets: since the unclipped line box is about as high as the plate, it holds the
 * plate's border; 90 % of its height keeps the characters and drops most of the border (openalpr-eu,
 * PP-OCRv4 rec: 78.7 % exact at 0.9, 75.9 % at 1.0, 75.0 % at 1.05).
 */
export const LINE_CROP = [0.02, 0.9] as const;

const round = (v: number) => Math.round(v * 10) / 10;

function entry(id: string): ModelEntry {
  const e = findModel(id);
  if (!e) throw new PlatestreamError('MODEL_INVALID', `model ${id} is not in the manifest`);
  return e;
}

/** One crop to read: the line region it came from, the plate outline reported for it, and the crop's corners. */
interface ReadJob {
  region: LineRegion;
  plate: RotatedRect;
  quad: Quad;
  /** Index of the plate crop (LPR_PLATE_CROPS) for a plate reader's line jobs; 0 otherwise. */
  crop: number;
}

/** Detector and/or reader implementations that replace the ONNX defaults (a plate detector, another reader). */
export interface RecognizerPlugins {
  detector?: TextDetector;
  reader?: TextReader;
}

/** The detector + reader pair and the plate choice around them. */
export class OnnxRecognizer implements Recognizer {
  readonly id: string;
  private loaded?: Promise<{ detector: TextDetector; reader: TextReader }>;
  private closed?: Promise<void>;
  private readonly models: LoadedModel[] = [];
  private readonly log: Logger;
  private readonly defaultPatterns: string[];
  private readonly cameraPatterns: Map<string, string[]>;

  constructor(
    private readonly opts: Readonly<RecognizerOptions>,
    private readonly readerId: string,
    logger?: Logger,
    private readonly plugins: RecognizerPlugins = {},
  ) {
    this.id = onnxRecognizerId(opts, readerId, plugins);
    this.log = logger ?? moduleLogger('models');
    this.defaultPatterns = expandFormats(opts.formats).patterns;
    this.cameraPatterns = new Map(
      Object.entries(opts.cameraFormats).map(([c, f]) => [c, expandFormats(f).patterns]),
    );
  }

  private load(): Promise<{ detector: TextDetector; reader: TextReader }> {
    this.loaded ??= (async () => {
      const session = { threads: this.opts.threads, spin: this.opts.spin };
      let detector: TextDetector;
      if (this.plugins.detector) {
        detector = this.plugins.detector;
      } else {
        const det = await loadModel(entry('ppocr-v4-det'), this.opts.modelDir, session);
        this.models.push(det);
        detector =
          this.opts.detCoarseSize !== 0
            ? new CoarseToFineDetector(det, {
                ...COARSE_TO_FINE_DEFAULTS,
                coarseSize: this.opts.detCoarseSize === 'auto' ? 0 : this.opts.detCoarseSize,
                minCharShare: this.opts.plateMinChar,
                fineSize: this.opts.detSize,
                upscale: this.opts.detUpscale,
              })
            : new PpocrTextDetector(det, {
                ...PPOCR_DET_DEFAULTS,
                size: this.opts.detSize,
                upscale: this.opts.detUpscale,
              });
      }
      let reader: TextReader;
      if (this.plugins.reader) {
        reader = this.plugins.reader;
      } else if (this.readerId === 'cct-xs-v1-global') {
        const m = await loadModel(entry('cct-xs-v1-global'), this.opts.modelDir, session);
        this.models.push(m);
        reader = new CctPlateReader(m);
      } else {
        const keysEntry = entry('ppocr-keys-v1');
        const keysPath = await verifyModelFile(keysEntry, this.opts.modelDir);
        const m = await loadModel(entry('ppocr-v4-rec'), this.opts.modelDir, session);
        this.models.push(m);
        reader = new PpocrTextReader(m, parsePpocrKeys(await readFile(keysPath, 'utf8')));
      }
      this.log.info(
        { model: this.id, threads: this.opts.threads, modelDir: this.opts.modelDir },
        'models loaded',
      );
      return { detector, reader };
    })();
    this.loaded.catch(() => {
      this.loaded = undefined; // allow a later retry after a failed load
    });
    return this.loaded;
  }

  async warmup(): Promise<void> {
    const { detector, reader } = await this.load();
    // A grey frame with a dark bar: runs both sessions once so the first real frame is not slow.
    const width = 256;
    const height = 128;
    const data = Buffer.alloc(width * height * 3, 200);
    for (let y = 50; y < 78; y++)
      for (let x = 40; x < 216; x++) data.fill(20, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const img: RgbImage = { data, width, height };
    await detector.detect(img);
    const rect: RotatedRect = { cx: 128, cy: 64, w: 176, h: 28, angle: 0 };
    await reader.read(img, [rectCorners(rect)]);
  }

  private patternsFor(camera: string): string[] {
    return this.cameraPatterns.get(camera) ?? this.defaultPatterns;
  }

  async recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult> {
    if (this.closed)
      throw new PlatestreamError('SHUTTING_DOWN', `recogniser closed; frame ${input.id} not processed`);
    const { detector, reader } = await this.load();
    const t0 = performance.now();
    const img = await decodeRgb(input.img, input.id);
    const t1 = performance.now();
    signal?.throwIfAborted();
    try {
      const cameraRoi = this.opts.cameraRoi[input.camera];
      // A predicted plate region is read alone (the caller reads the whole frame when it finds nothing).
      const roi = input.region ? regionPolygon(input.region, img) : cameraRoi;
      const patterns = this.patternsFor(input.camera);
      const first = await this.pass(detector, reader, img, roi, patterns, signal, Boolean(input.region));
      let { candidates } = first;
      if (input.region && cameraRoi)
        candidates = candidates.filter((c) =>
          insidePolygon(c.box.x + c.box.w / 2, c.box.y + c.box.h / 2, cameraRoi),
        );
      const timings: Record<string, number> = { decode: round(t1 - t0), ...first.timings };
      // A coarse pass that found no confident plate may have missed a small or oddly scaled one: one pass
      // at detSize decides, and the better best candidate wins.
      const region = roi ? roiBounds(roi, img.width, img.height) : { w: img.width, h: img.height };
      if (
        !input.region &&
        detector instanceof CoarseToFineDetector &&
        detector.isCoarse(region.w, region.h) &&
        (candidates[0]?.confidence ?? 0) < this.opts.detFallbackBelow
      ) {
        const again = await this.pass(detector, reader, img, roi, patterns, signal, true);
        if ((again.candidates[0]?.confidence ?? 0) > (candidates[0]?.confidence ?? 0))
          candidates = again.candidates;
        for (const [k, v] of Object.entries(again.timings)) timings[`fallback.${k}`] = v;
      }
      timings.total = round(performance.now() - t0);
      return this.result(img, candidates, timings);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new PlatestreamError(
        'RECOGNITION_FAILED',
        `frame ${input.id}: recognition failed: ${toPlatestreamError(err).message}`,
        {
          cause: err,
          details: { frame: input.id, camera: input.camera },
        },
      );
    }
  }

  /** Detect, read and choose once; `single` = one pass at detSize even for a coarse-to-fine detector. */
  private async pass(
    detector: TextDetector,
    reader: TextReader,
    img: RgbImage,
    roi: Roi | undefined,
    patterns: string[],
    signal: AbortSignal | undefined,
    single: boolean,
  ): Promise<{ candidates: PlateCandidate[]; timings: Record<string, number> }> {
    const t1 = performance.now();
    const all = this.readJobs(await this.detect(detector, img, roi, single), reader.input);
    const t2 = performance.now();
    signal?.throwIfAborted();
    // Every region is read with its first crop; the other crops only for the regions whose first read
    // scored best (a plate reader costs ~2.3 ms CPU per crop, and most regions are not plates). The
    // fallback pass, for frames that found no confident plate, reads every crop of every region.
    const jobs = all.filter((j) => j.crop === 0);
    const reads = jobs.length
      ? await reader.read(
          img,
          jobs.map((j) => j.quad),
        )
      : [];
    const rest = all.filter((j) => j.crop > 0);
    if (rest.length) {
      const ranked = jobs
        .map((j, i) => ({
          region: j.region,
          score: scoreRead(reads[i]!, j.region, j.plate, img, patterns)?.score ?? 0,
        }))
        .sort((a, b) => b.score - a.score)
        .slice(0, single ? undefined : this.opts.plateCropsTop)
        .map((r) => r.region);
      const more = rest.filter((j) => ranked.includes(j.region));
      if (more.length) {
        reads.push(
          ...(await reader.read(
            img,
            more.map((j) => j.quad),
          )),
        );
        jobs.push(...more);
      }
    }
    const t3 = performance.now();
    const chosen = this.choose(img, jobs, reads, reader.input, patterns);
    // Plates whose centre lies outside the camera's region of interest are not this camera's business.
    const candidates = roi
      ? chosen.filter((c) => insidePolygon(c.box.x + c.box.w / 2, c.box.y + c.box.h / 2, roi))
      : chosen;
    const t4 = performance.now();
    return {
      candidates,
      timings: { detect: round(t2 - t1), read: round(t3 - t2), choose: round(t4 - t3) },
    };
  }

  /** Text (or plate) boxes in frame pixels; with a region of interest, found in its bounding crop only. */
  private async detect(
    detector: TextDetector,
    img: RgbImage,
    roi: Roi | undefined,
    single: boolean,
  ): Promise<DetectedBox[]> {
    const run = (i: RgbImage) =>
      single && detector instanceof CoarseToFineDetector ? detector.detectSingle(i) : detector.detect(i);
    if (!roi) return run(img);
    const r = roiBounds(roi, img.width, img.height);
    if (r.w < 8 || r.h < 8) return [];
    const boxes = await run(cropRgb(img, r));
    return boxes.map((b) => ({ ...b, rect: { ...b.rect, cx: b.rect.cx + r.x, cy: b.rect.cy + r.y } }));
  }

  /**
   * Step 1 after detection: the crops to read. A plate detector's boxes are plates already (one crop each);
   * a text detector's lines are grown to plates, with several crops per line for a plate reader.
   */
  private readJobs(boxes: DetectedBox[], readerInput: TextReader['input']): ReadJob[] {
    const jobs: ReadJob[] = [];
    for (const b of boxes) {
      if (!b.isPlate) continue;
      const region: LineRegion = { rect: b.rect, score: b.score, parts: 1 };
      jobs.push({
        region,
        plate: region.rect,
        quad: rectCorners(growToPlate(region.rect, 0.05, 1.1)),
        crop: 0,
      });
    }
    const lines = lineRegions(
      boxes.filter((b) => !b.isPlate),
      { ...LINE_DEFAULTS, maxRegions: this.opts.maxRegions },
    );
    for (const region of lines) {
      const plate = growToPlate(region.rect, ...REPORTED_PLATE_GROWTH);
      if (readerInput === 'plate') {
        this.opts.plateCrops.forEach(([mw, sh], crop) => {
          jobs.push({ region, plate, quad: rectCorners(growToPlate(region.rect, mw, sh)), crop });
        });
      } else {
        jobs.push({ region, plate, quad: rectCorners(growToPlate(region.rect, ...LINE_CROP)), crop: 0 });
      }
    }
    return jobs;
  }

  /** Step 2 after reading: score every read (and a line read without its weakest character), then choose. */
  private choose(
    img: RgbImage,
    jobs: ReadJob[],
    reads: Awaited<ReturnType<TextReader['read']>>,
    readerInput: TextReader['input'],
    patterns: string[],
  ): PlateCandidate[] {
    const scored: ScoredRead[] = [];
    reads.forEach((read, i) => {
      const j = jobs[i]!;
      const s = scoreRead(read, j.region, j.plate, img, patterns);
      if (s) scored.push(s);
      const trimmed = readerInput === 'line' ? withoutWeakest(read) : undefined;
      const t = trimmed && scoreRead(trimmed, j.region, j.plate, img, patterns, WEAKEST_DROP_PENALTY);
      if (t) scored.push(t);
    });
    return choosePlates(scored, {
      patterns,
      minConfidence: this.opts.minConfidence,
      maxCandidates: this.opts.maxCandidates,
    });
  }

  /** Step 3: the result a worker writes, best candidate first. */
  private result(
    img: RgbImage,
    candidates: PlateCandidate[],
    timings: RecognitionResult['timings'],
  ): RecognitionResult {
    const best = candidates[0];
    return {
      plate: best?.text ?? '',
      confidence: best?.confidence ?? 0,
      ...(best ? { box: best.box } : {}),
      candidates,
      model: this.id,
      timings,
      width: img.width,
      height: img.height,
    };
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      const loaded = this.loaded;
      if (loaded) await loaded.catch(() => undefined);
      for (const m of this.models) {
        try {
          await m.session.release();
        } catch (err) {
          this.log.warn({ err, model: m.entry.id }, 'session release failed');
        }
      }
      this.models.length = 0;
    })();
    return this.closed;
  }
}

/** The model id a recogniser with these options writes into its results, e.g. `ppocr-v4-det@auto2%>960+cct-xs-v1-global`. */
export function onnxRecognizerId(
  opts: Readonly<RecognizerOptions>,
  readerId: string,
  plugins: RecognizerPlugins = {},
): string {
  const coarse =
    opts.detCoarseSize === 'auto'
      ? `auto${Math.round(opts.plateMinChar * 1000) / 10}%>`
      : opts.detCoarseSize > 0
        ? `${opts.detCoarseSize}>`
        : '';
  const det = plugins.detector?.id ?? `ppocr-v4-det@${coarse}${opts.detSize}`;
  return `${det}+${plugins.reader?.id ?? readerId}`;
}

/** Which reader the options select: cct when asked for (or `auto` and its file is present), else ppocr. */
/** A rectangle in frame pixels as a region-of-interest polygon, clipped to the frame. */
function regionPolygon(r: PlateBox, img: Pick<RgbImage, 'width' | 'height'>): Roi {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(img.width, Math.ceil(r.x + r.w));
  const y1 = Math.min(img.height, Math.ceil(r.y + r.h));
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

export function selectReader(opts: Readonly<RecognizerOptions>): string {
  if (opts.reader === 'ppocr') return 'ppocr-v4-rec';
  if (opts.reader === 'cct') return 'cct-xs-v1-global';
  return existsSync(modelPath(entry('cct-xs-v1-global'), opts.modelDir))
    ? 'cct-xs-v1-global'
    : 'ppocr-v4-rec';
}
