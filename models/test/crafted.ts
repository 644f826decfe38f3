import sharp from 'sharp';

/** Options for a crafted test frame: a plate with known text on a simple scene, rendered by sharp from SVG. */
export interface CraftedPlate {
  text: string;
  width?: number;
  height?: number;
  /** Plate rectangle (frame pixels). */
  plate?: { x: number; y: number; w: number; h: number };
  /** Rotation of the plate in degrees. */
  rotate?: number;
  /** Extra non-plate text in the scene (a sign). */
  sign?: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Renders the frame as JPEG; returns the bytes and the plate box. */
export async function craftPlateJpeg(
  o: CraftedPlate,
): Promise<{ img: Buffer; box: { x: number; y: number; w: number; h: number } }> {
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  const p = o.plate ?? { x: 215, y: 300, w: 210, h: 46 };
  const cx = p.x + p.w / 2;
  const cy = p.y + p.h / 2;
  const fontSize = Math.round(p.h * 0.74);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="${width}" height="${height}" fill="#6b7a88"/>
  <rect x="${p.x - 95}" y="${p.y - 150}" width="${p.w + 190}" height="${p.h + 210}" rx="30" fill="#2a3440"/>
  ${o.sign ? `<text x="30" y="50" font-family="DejaVu Sans, sans-serif" font-size="22" fill="#dde">${esc(o.sign)}</text>` : ''}
  <g transform="rotate(${o.rotate ?? 0} ${cx} ${cy})">
    <rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" rx="5" fill="#f4f4f0" stroke="#111" stroke-width="3"/>
    <text x="${cx}" y="${cy + fontSize * 0.36}" text-anchor="middle" font-family="DejaVu Sans, sans-serif"
      font-weight="bold" font-size="${fontSize}" fill="#111">${esc(o.text)}</text>
  </g>
</svg>`;
  const img = await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
  return { img, box: p };
}
