import sharp from 'sharp';
import type { Roi } from '../shared/config/camera-roi.ts';
import type { PlateBox, PlateCandidate } from '../shared/recognizer.ts';

export interface AnnotateInput {
  /** The best plate ('' when none). */
  plate: string;
  confidence: number;
  box?: PlateBox;
  plates: PlateCandidate[];
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

/**
 * Draws every candidate's box (best in green, others in amber) with its text and confidence on the frame,
 * and the camera's region of interest (dashed blue) when given. The output has the frame's own size and is
 * a JPEG.
 */
export async function annotateImage(
  img: Buffer,
  r: AnnotateInput,
  opts: { quality?: number; roi?: Roi } = {},
): Promise<Buffer> {
  const meta = await sharp(img).metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!width || !height) throw new Error('cannot read the frame size');
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(12, Math.round(Math.min(width, height) / 28));
  const shapes: string[] = [];
  if (opts.roi && opts.roi.length >= 3) {
    const points = opts.roi.map(([x, y]) => `${x},${y}`).join(' ');
    const [lx, ly] = opts.roi[0]!;
    shapes.push(
      `<polygon points="${points}" fill="none" stroke="#38bdf8" stroke-width="${stroke}" stroke-dasharray="${stroke * 4},${stroke * 3}"/>`,
      `<text x="${lx + stroke * 2}" y="${ly + font + stroke}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#38bdf8">ROI</text>`,
    );
  }
  const drawn =
    r.plates.length > 0
      ? r.plates
      : r.box && r.plate
        ? [{ text: r.plate, confidence: r.confidence, box: r.box }]
        : [];
  drawn.forEach((c, i) => {
    const best = i === 0 && c.text === r.plate;
    const color = best ? '#22c55e' : '#f59e0b';
    const { x, y, w, h } = c.box;
    const label = `${escapeXml(c.text || '?')} ${(c.confidence * 100).toFixed(0)}%`;
    const ly = y - stroke * 2 > font ? y - stroke * 2 : y + h + font + stroke;
    shapes.push(
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${color}" stroke-width="${stroke}"/>`,
      `<rect x="${x}" y="${ly - font}" width="${Math.round(label.length * font * 0.62) + 8}" height="${font + 6}" fill="rgba(0,0,0,0.6)"/>`,
      `<text x="${x + 4}" y="${ly}" font-family="DejaVu Sans Mono, monospace" font-size="${font}" font-weight="bold" fill="${color}">${label}</text>`,
    );
  });
  if (drawn.length === 0) {
    shapes.push(
      `<text x="${font}" y="${font * 1.5}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ef4444">no plate</text>`,
    );
  }
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`,
  );
  return sharp(img)
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: opts.quality ?? 85 })
    .toBuffer();
}
