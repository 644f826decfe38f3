import type { Point } from '../image/static-scene.ts';
import type { EnvReader } from './env-reader.ts';

/** A region of interest in frame pixels: a polygon of at least 3 corners (a rectangle is 4). */
export type Roi = readonly Point[];

/**
 * Parses per-camera regions of interest: `cam-a=0,400 1920,400 1920,1080 0,1080;cam-b=...` — for each
 * camera id, corners as `x,y` pairs separated by spaces; `x,y,w,h` alone is a rectangle. Problems go to the
 * reader (reported with every other bad variable).
 */
export function parseCameraRois(r: EnvReader, name: string, raw: string | undefined): Record<string, Roi> {
  const out: Record<string, Roi> = {};
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const camera = part.slice(0, eq).trim();
    const roi = eq > 0 ? parseRoi(part.slice(eq + 1)) : undefined;
    if (!camera || !roi) {
      r.problem(
        name,
        `"${part.trim()}" is not CAMERA=x,y x,y x,y[ ...] (polygon corners in frame pixels) or CAMERA=x,y,w,h`,
      );
      continue;
    }
    out[camera] = roi;
  }
  return out;
}

/** One region: `x,y x,y x,y ...` (polygon) or `x,y,w,h` (rectangle); undefined when malformed. */
export function parseRoi(text: string): Roi | undefined {
  const nums = (s: string) => s.split(',').map((v) => Number(v.trim()));
  const groups = text.trim().split(/\s+/).map(nums);
  const finite = (v: number[]) => v.every((n) => Number.isFinite(n) && n >= 0);
  if (groups.length === 1 && groups[0]!.length === 4 && finite(groups[0]!)) {
    const [x, y, w, h] = groups[0]! as [number, number, number, number];
    if (w <= 0 || h <= 0) return undefined;
    return [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ];
  }
  if (groups.length < 3 || groups.some((g) => g.length !== 2 || !finite(g))) return undefined;
  return groups.map((g) => [g[0]!, g[1]!] as const);
}

/** The axis-aligned rectangle around a region, clipped to a frame of `width` x `height`. */
export function roiBounds(
  roi: Roi,
  width: number,
  height: number,
): { x: number; y: number; w: number; h: number } {
  const xs = roi.map((p) => p[0]);
  const ys = roi.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const x1 = Math.min(width, Math.ceil(Math.max(...xs)));
  const y1 = Math.min(height, Math.ceil(Math.max(...ys)));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}
