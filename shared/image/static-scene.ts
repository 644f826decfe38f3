/**
 * Is this frame the same scene as the last one processed? A tiny grey thumbnail of each frame (JPEG
 * shrink-on-load decodes only a fraction of the pixels, so this costs a few ms even at 1080p) is compared
 * with a reference thumbnail. The comparison ignores a global change of brightness (clouds, dusk, auto
 * exposure) and counts the pixels that changed beyond it: a vehicle entering the view changes a block of
 * pixels, noise and slow light changes do not.
 *
 * Used by the worker's static gate (reference in Redis, shared by all workers) and by capture/replay's
 * `--skip-static` (reference in memory, per camera).
 */
import { frameSharp as sharp } from './frame-sharp.ts';

/** A frame reduced to THUMB_WIDTH columns of 8-bit grey, aspect kept. */
export interface Thumbnail {
  width: number;
  height: number;
  /** width * height grey levels, row-major. */
  data: Buffer;
}

/** A frame's thumbnail and the frame's own size. */
export interface FrameThumbnail extends Thumbnail {
  frameWidth: number;
  frameHeight: number;
}

export const THUMB_WIDTH = 96;
/** A thumbnail pixel counts as changed when it moved this many grey levels beyond the global shift. */
export const PIXEL_DELTA = 20;
/** Default share of changed thumbnail pixels (0..1) below which a frame is static. */
export const DEFAULT_STATIC_THRESHOLD = 0.004;

/** A point in frame pixels. */
export type Point = readonly [number, number];

/** Grey thumbnail of an encoded frame; throws what sharp throws for bytes it cannot decode. */
export async function thumbnail(img: Buffer): Promise<FrameThumbnail> {
  const pipeline = sharp(img, { failOn: 'error', limitInputPixels: 100_000_000, sequentialRead: true });
  // The frame's size from its header (no second parse by sharp for JPEG and PNG, the usual camera output).
  const size = imageSize(img) ?? (await pipeline.metadata());
  // Grey in JS from the 96-px colour thumbnail: libvips' greyscale conversion cost more than the whole
  // comparison (measured 0.6 ms of 5.3 ms per 1080p frame); the JPEG's entropy decoding is the rest.
  const { data, info } = await pipeline
    .resize(THUMB_WIDTH, null, { kernel: 'linear', fastShrinkOnLoad: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: grey(data, info.channels),
    frameWidth: size.width ?? info.width,
    frameHeight: size.height ?? info.height,
  };
}

/** Width and height from a JPEG's start-of-frame or a PNG's IHDR; undefined for anything else. */
export function imageSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length > 24 && b.readUInt32BE(0) === 0x89504e47)
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return undefined;
}

/**
 * Grey levels of packed pixels: Rec. 601 luma (0.299 R + 0.587 G + 0.114 B, integer weights) of 3- and
 * 4-channel pixels, the first channel of grey (1) and grey+alpha (2) ones.
 */
export function grey(data: Buffer, channels: number): Buffer {
  if (channels === 1) return data;
  const out = Buffer.alloc(data.length / channels);
  if (channels < 3) {
    for (let i = 0; i < out.length; i++) out[i] = data[i * channels]!;
    return out;
  }
  for (let i = 0, s = 0; i < out.length; i++, s += channels)
    out[i] = (77 * data[s]! + 150 * data[s + 1]! + 29 * data[s + 2]! + 128) >> 8;
  return out;
}

/**
 * Which thumbnail pixels lie inside a region of interest given in frame pixels (a polygon; a rectangle is
 * its four corners) of a `frameWidth` wide frame. Undefined region: every pixel.
 */
export function regionMask(
  thumb: Pick<Thumbnail, 'width' | 'height'>,
  frameWidth: number,
  region: readonly Point[] | undefined,
): Uint8Array | undefined {
  if (!region || region.length < 3) return undefined;
  const scale = thumb.width / frameWidth;
  const poly = region.map(([x, y]) => [x * scale, y * scale] as const);
  const mask = new Uint8Array(thumb.width * thumb.height);
  for (let y = 0; y < thumb.height; y++) {
    for (let x = 0; x < thumb.width; x++) {
      if (insidePolygon(x + 0.5, y + 0.5, poly)) mask[y * thumb.width + x] = 1;
    }
  }
  return mask;
}

/** Even-odd rule point-in-polygon test. */
export function insidePolygon(x: number, y: number, poly: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Share (0..1) of thumbnail pixels that changed between `a` and `b` beyond the global brightness shift
 * (the median difference), counting only pixels in `mask` when given. Thumbnails of different sizes (the
 * camera changed resolution) are entirely different: 1.
 */
export function changedFraction(a: Thumbnail, b: Thumbnail, mask?: Uint8Array): number {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) return 1;
  const n = a.data.length;
  // Median of the signed differences through a histogram (-255..255): robust to the changed block itself.
  const hist = new Uint32Array(511);
  let counted = 0;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    hist[a.data[i]! - b.data[i]! + 255]!++;
    counted++;
  }
  if (counted === 0) return 0;
  let seen = 0;
  let median = 0;
  for (let d = 0; d < hist.length; d++) {
    seen += hist[d]!;
    if (seen * 2 >= counted) {
      median = d - 255;
      break;
    }
  }
  let changed = 0;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    if (Math.abs(a.data[i]! - b.data[i]! - median) > PIXEL_DELTA) changed++;
  }
  return changed / counted;
}

const MAGIC = 0x50535431; // "PST1"
const HEADER = 4 + 2 + 2 + 8 + 4;

/** A reference thumbnail as stored in Redis: magic, size, when it was taken (ms epoch), frame width, pixels. */
export function encodeReference(t: Thumbnail, at: number, frameWidth: number): Buffer {
  const out = Buffer.alloc(HEADER + t.data.length);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt16BE(t.width, 4);
  out.writeUInt16BE(t.height, 6);
  out.writeDoubleBE(at, 8);
  out.writeUInt32BE(frameWidth, 16);
  t.data.copy(out, HEADER);
  return out;
}

/** The stored reference, or undefined for anything that is not one (missing, older format, truncated). */
export function decodeReference(
  buf: Buffer | null | undefined,
): (Thumbnail & { at: number; frameWidth: number }) | undefined {
  if (!buf || buf.length < HEADER || buf.readUInt32BE(0) !== MAGIC) return undefined;
  const width = buf.readUInt16BE(4);
  const height = buf.readUInt16BE(6);
  if (buf.length !== HEADER + width * height) return undefined;
  return {
    width,
    height,
    at: buf.readDoubleBE(8),
    frameWidth: buf.readUInt32BE(16),
    data: buf.subarray(HEADER),
  };
}
