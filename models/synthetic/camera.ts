import sharp from 'sharp';
import { Rng } from './prng.ts';

/** What the camera does to the drawn scene: blur, exposure, colour cast, sensor noise, compression. */
export interface CameraSettings {
  blur: number;
  contrast: number;
  brightness: number;
  cast: number[];
  noise: number;
  quality: number;
}

/** Draws camera settings from the seeded stream; `distortion` scales them (0 = clean). */
export function drawCamera(rng: Rng, distortion: number, charHeight: number): CameraSettings {
  const D = distortion;
  return {
    blur: rng.chance(0.7) ? rng.float(0.3, 1.0) * D * Math.max(1, charHeight / 24) : 0,
    contrast: 1 + rng.float(-0.25, 0.15) * D,
    brightness: rng.float(-25, 25) * D,
    cast: [0, 1, 2].map(() => 1 + rng.float(-0.06, 0.06) * D),
    noise: rng.float(0, 7) * D,
    quality: Math.round(95 - rng.float(0, 40) * Math.min(1, D)),
  };
}

export async function rasterise(
  svg: string,
  format: 'jpeg' | 'png',
  c: CameraSettings,
  rng: Rng,
): Promise<Buffer> {
  let pipeline = sharp(Buffer.from(svg)).removeAlpha();
  if (c.blur >= 0.3) pipeline = pipeline.blur(c.blur);
  const mul = c.cast.map((k) => k * c.contrast);
  const add = c.cast.map(() => c.brightness + 128 * (1 - c.contrast));
  pipeline = pipeline.linear(mul, add);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (c.noise > 0.2) addNoise(data, c.noise, rng);
  const out = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  return (format === 'png' ? out.png() : out.jpeg({ quality: c.quality })).toBuffer();
}

/** 65,536 standard normal samples from a fixed seed: per-pixel noise is then one table look-up. */
let gaussTable: Float32Array | undefined;
function gaussian(): Float32Array {
  if (!gaussTable) {
    const rng = new Rng('platestream-gaussian-table');
    gaussTable = new Float32Array(65536);
    for (let i = 0; i < gaussTable.length; i++) gaussTable[i] = rng.normal();
  }
  return gaussTable;
}

/**
 * Gaussian sensor noise from the seeded stream: mostly luma (the same on all channels) with a little
 * chroma. One 32-bit draw per pixel indexes two table entries (high and low 16 bits).
 */
function addNoise(data: Buffer, sd: number, rng: Rng): void {
  const table = gaussian();
  const chroma = sd * 0.3;
  for (let i = 0; i < data.length; i += 3) {
    const r = rng.nextUint32();
    const l = table[r >>> 16]! * sd;
    const c = table[r & 0xffff]! * chroma;
    data[i] = clamp(data[i]! + l + c);
    data[i + 1] = clamp(data[i + 1]! + l);
    data[i + 2] = clamp(data[i + 2]! + l - c);
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
