import { percentile as sharedPercentile } from '../../shared/util/percentile.ts';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { PlateBox, RecognitionResult } from '../../shared/recognizer.ts';
import { iou } from '../geometry/quad.ts';
import { normaliseText } from '../plate/normalise.ts';

/** One annotated photo in the OpenALPR benchmark layout: NAME.jpg + NAME.txt ("file x y w h PLATE" lines). */
export interface EvalSample {
  name: string;
  imagePath: string;
  truths: { box: PlateBox; plate: string }[];
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Parses one annotation line (tab- or space-separated); undefined for blank or malformed lines. */
export function parseAnnotation(line: string): { file: string; box: PlateBox; plate: string } | undefined {
  const parts = line.trim().split(/\t|\s+/);
  if (parts.length < 6) return undefined;
  const [file, x, y, w, h, ...rest] = parts as [string, string, string, string, string, ...string[]];
  const nums = [x, y, w, h].map(Number);
  if (nums.some((n) => !Number.isFinite(n))) return undefined;
  return {
    file,
    box: { x: nums[0]!, y: nums[1]!, w: nums[2]!, h: nums[3]! },
    plate: normaliseText(rest.join('')),
  };
}

export async function loadOpenAlprDir(dir: string): Promise<EvalSample[]> {
  const files = (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const samples: EvalSample[] = [];
  for (const f of files) {
    if (!IMAGE_EXT.has(extname(f).toLowerCase())) continue;
    const name = basename(f, extname(f));
    if (!files.includes(`${name}.txt`)) continue;
    const text = await readFile(join(dir, `${name}.txt`), 'utf8');
    const truths = text
      .split(/\r?\n/)
      .map(parseAnnotation)
      .filter((a): a is NonNullable<typeof a> => a !== undefined && a.plate.length > 0)
      .map((a) => ({ box: a.box, plate: a.plate }));
    if (truths.length) samples.push({ name, imagePath: join(dir, f), truths });
  }
  return samples;
}

/** Levenshtein distance (small strings). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export interface SampleOutcome {
  name: string;
  truth: string;
  plate: string;
  exact: boolean;
  oneChar: boolean;
  detected: boolean;
  falsePlates: number;
  timings: Record<string, number>;
}

/**
 * Scores one result: exact / within one character (best plate vs any truth plate), detected (some reported
 * candidate box has IoU >= 0.4 with a truth box), false plates (reported candidates overlapping no truth box).
 */
export function scoreSample(sample: EvalSample, result: RecognitionResult): SampleOutcome {
  const plate = result.plate;
  const exact = plate !== '' && sample.truths.some((t) => t.plate === plate);
  const oneChar = plate !== '' && sample.truths.some((t) => editDistance(t.plate, plate) <= 1);
  const detected = sample.truths.every((t) => result.candidates.some((c) => iou(c.box, t.box) >= 0.4));
  const falsePlates = result.candidates.filter(
    (c) => !sample.truths.some((t) => iou(c.box, t.box) >= 0.4),
  ).length;
  return {
    name: sample.name,
    truth: sample.truths.map((t) => t.plate).join('|'),
    plate,
    exact,
    oneChar,
    detected,
    falsePlates,
    timings: result.timings,
  };
}

/** The project's percentile (shared/util/percentile.ts), 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  return values.length === 0 ? 0 : sharedPercentile(values, p);
}

export interface EvalSummary {
  images: number;
  exact: number;
  oneChar: number;
  detRecall: number;
  falsePlatesPerImage: number;
  medianMs: Record<string, number>;
  p95Ms: Record<string, number>;
  model: string;
}

export function summarise(outcomes: readonly SampleOutcome[], model: string): EvalSummary {
  const n = outcomes.length || 1;
  const ratio = (k: number) => Math.round((k / n) * 10000) / 10000;
  const stages = [...new Set(outcomes.flatMap((o) => Object.keys(o.timings)))];
  const medianMs: Record<string, number> = {};
  const p95Ms: Record<string, number> = {};
  for (const s of stages) {
    const v = outcomes.map((o) => o.timings[s] ?? 0);
    medianMs[s] = Math.round(percentile(v, 50) * 10) / 10;
    p95Ms[s] = Math.round(percentile(v, 95) * 10) / 10;
  }
  return {
    images: outcomes.length,
    exact: ratio(outcomes.filter((o) => o.exact).length),
    oneChar: ratio(outcomes.filter((o) => o.oneChar).length),
    detRecall: ratio(outcomes.filter((o) => o.detected).length),
    falsePlatesPerImage: ratio(outcomes.reduce((s, o) => s + o.falsePlates, 0)),
    medianMs,
    p95Ms,
    model,
  };
}
