import sharp from 'sharp';
import { PlatestreamError } from '../../shared/errors.ts';
import { escapeXml, fmt } from './svg.ts';

/**
 * Text for the SVG scenes. librsvg draws `<text>` with whatever fontconfig finds, so glyph sizes differ
 * from machine to machine. We therefore measure each glyph's ink box once per font (one render of a grid
 * of all glyphs) and place every character ourselves: the plate text always fills its box, whatever font
 * the system has, and the plate box is known exactly.
 */

export interface FontSpec {
  /** CSS font-family list, best first; the generic family last so that any system can draw it. */
  family: string;
  weight: 'normal' | 'bold';
}

/** Condensed bold sans, the closest common look to plate fonts (DIN / FE-Schrift / Charles Wright). */
export const PLATE_FONT: FontSpec = {
  family:
    "'DejaVu Sans Condensed', 'Liberation Sans Narrow', 'Arial Narrow', 'Nimbus Sans Narrow', 'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif",
  weight: 'bold',
};

export const PLATE_FONT_MONO: FontSpec = {
  family: "'DejaVu Sans Mono', 'Liberation Mono', 'Nimbus Mono PS', 'Courier New', monospace",
  weight: 'bold',
};

/** For signs, slogans, dealer names and the camera overlay. */
export const LABEL_FONT: FontSpec = {
  family: "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif",
  weight: 'normal',
};

export const LABEL_FONT_BOLD: FontSpec = { ...LABEL_FONT, weight: 'bold' };

/** Characters measured per font: everything the generator ever writes. */
export const GLYPHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.,:/&'!+#()";

/** Ink box of a glyph drawn at font-size 1 with its origin (pen position, baseline) at 0,0. */
export interface GlyphMetrics {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface FontMetrics {
  font: FontSpec;
  glyphs: ReadonlyMap<string, GlyphMetrics>;
  /** Height of a capital H at font-size 1. */
  capHeight: number;
  /** Advance used for a space, at font-size 1. */
  space: number;
}

const MEASURE_SIZE = 100;
const CELL_W = 160;
const CELL_H = 170;
const BASELINE = 130;
const PEN_X = 30;
const COLS = 12;

const cache = new Map<string, Promise<FontMetrics>>();

export function fontMetrics(font: FontSpec): Promise<FontMetrics> {
  const key = `${font.family}|${font.weight}`;
  let p = cache.get(key);
  if (!p) {
    p = measure(font);
    // A failed measurement is not cached: the caller sees the error, a later call tries again.
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

async function measure(font: FontSpec): Promise<FontMetrics> {
  const chars = [...GLYPHS];
  const rows = Math.ceil(chars.length / COLS);
  const width = COLS * CELL_W;
  const height = rows * CELL_H;
  const texts = chars
    .map((ch, i) => {
      const x = (i % COLS) * CELL_W + PEN_X;
      const y = Math.floor(i / COLS) * CELL_H + BASELINE;
      return `<text x="${x}" y="${y}">${escapeXml(ch)}</text>`;
    })
    .join('');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<g font-family="${escapeXml(font.family)}" font-weight="${font.weight}" font-size="${MEASURE_SIZE}" fill="#000">${texts}</g></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const ch0 = info.channels;
  const glyphs = new Map<string, GlyphMetrics>();
  chars.forEach((ch, i) => {
    const cx = (i % COLS) * CELL_W;
    const cy = Math.floor(i / COLS) * CELL_H;
    let x0 = CELL_W;
    let y0 = CELL_H;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < CELL_H; y++) {
      const row = (cy + y) * info.width;
      for (let x = 0; x < CELL_W; x++) {
        if (data[(row + cx + x) * ch0]! < 128) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return;
    glyphs.set(ch, {
      left: (x0 - PEN_X) / MEASURE_SIZE,
      top: (y0 - BASELINE) / MEASURE_SIZE,
      width: (x1 - x0 + 1) / MEASURE_SIZE,
      height: (y1 - y0 + 1) / MEASURE_SIZE,
    });
  });
  const h = glyphs.get('H');
  const missing = [...'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'].filter((c) => !glyphs.has(c));
  if (!h || missing.length > 0) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `no usable font for synthetic plates (font-family ${font.family}): glyphs ${missing.join('') || 'H'} drew nothing. ` +
        'Install a TrueType font that fontconfig can find (e.g. the fonts-dejavu-core package) and run fc-cache.',
    );
  }
  const n = glyphs.get('n');
  return { font, glyphs, capHeight: h.height, space: n ? n.width * 0.9 : h.width * 0.6 };
}

export interface TextLayout {
  /** SVG fragment: one <text> per glyph. */
  svg: string;
  /** Ink width and height of the laid-out text, in SVG units. */
  width: number;
  height: number;
}

export interface LayoutOptions {
  /** Cap height in SVG units: the height of the capital letters. */
  capHeight: number;
  /** Horizontal scale of each glyph (< 1 condenses). */
  condense?: number;
  /** Gap between glyphs as a fraction of the cap height. */
  tracking?: number;
  /** Width of a space as a fraction of the cap height. */
  spaceWidth?: number;
  /** Squeeze glyphs that reach below the baseline or above the capitals into the cap height. */
  capFit?: boolean;
  fill: string;
}

/**
 * Lays out a single line of text with its ink box starting at (0, 0) (top-left), and returns its ink
 * size. Characters the font did not draw are skipped (they are never plate characters).
 */
export function layoutText(metrics: FontMetrics, text: string, opts: LayoutOptions): TextLayout {
  const size = opts.capHeight / metrics.capHeight;
  const sx = opts.condense ?? 1;
  const gap = (opts.tracking ?? 0.08) * opts.capHeight;
  const space = (opts.spaceWidth ?? metrics.space / metrics.capHeight) * opts.capHeight;
  let pen = 0;
  let first = true;
  let top = Number.POSITIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  const parts: { ch: string; tx: number; ty: number; sy: number }[] = [];
  for (const ch of text) {
    if (ch === ' ') {
      pen += space;
      continue;
    }
    const g = metrics.glyphs.get(ch);
    if (!g) continue;
    if (!first) pen += gap;
    first = false;
    let sy = 1;
    let ty = 0;
    // Plate fonts keep every character between baseline and cap height (no descending J or Q tail).
    if (opts.capFit && (g.top + g.height > 0.02 * metrics.capHeight || g.top < -1.04 * metrics.capHeight)) {
      sy = metrics.capHeight / g.height;
      ty = -metrics.capHeight * size - sy * g.top * size;
    }
    top = Math.min(top, ty + sy * g.top * size);
    bottom = Math.max(bottom, ty + sy * (g.top + g.height) * size);
    parts.push({ ch, tx: pen - sx * g.left * size, ty, sy });
    pen += sx * g.width * size;
  }
  if (parts.length === 0) return { svg: '', width: 0, height: 0 };
  const capTop = -metrics.capHeight * size;
  const y0 = Math.min(top, capTop);
  const svg = parts
    .map(
      ({ ch, tx, ty, sy }) =>
        `<text transform="translate(${fmt(tx)} ${fmt(ty - y0)}) scale(${fmt(sx)} ${fmt(sy)})">${escapeXml(ch)}</text>`,
    )
    .join('');
  const group =
    `<g font-family="${escapeXml(metrics.font.family)}" font-weight="${metrics.font.weight}" ` +
    `font-size="${fmt(size)}" fill="${opts.fill}">${svg}</g>`;
  return { svg: group, width: pen, height: bottom - y0 };
}
