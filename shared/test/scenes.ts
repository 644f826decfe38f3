import sharp from 'sharp';

/** A road-like scene as a JPEG: gradient + texture, optional "vehicle" block, brightness offset, sensor noise. */
export async function scene(
  o: {
    w?: number;
    h?: number;
    car?: { x: number; y: number; w: number; h: number };
    light?: number;
    seed?: number;
  } = {},
): Promise<Buffer> {
  const w = o.w ?? 1280;
  const h = o.h ?? 720;
  const raw = Buffer.alloc(w * h * 3);
  let s = o.seed ?? 1;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      let v = 60 + (120 * y) / h + 25 * Math.sin(x / 37) * Math.cos(y / 23);
      const c = o.car;
      if (c && x >= c.x && x < c.x + c.w && y >= c.y && y < c.y + c.h) v = 20 + ((x + y) % 40);
      v += o.light ?? 0;
      v += (rnd() - 0.5) * 6; // sensor noise
      const g = Math.max(0, Math.min(255, Math.round(v)));
      raw[i] = g;
      raw[i + 1] = g;
      raw[i + 2] = Math.min(255, g + 10);
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}
