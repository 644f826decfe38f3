import type { Quad } from '../geometry/quad.ts';
import type { RgbImage } from './decode.ts';

/**
 * Samples the quadrilateral `quad` (tl, tr, br, bl; a parallelogram for rotated rectangles) of `src`
 * into an `outW` x `outH` grid with bilinear interpolation, so rotated boxes come out straight.
 * Pixels outside the frame take `fill`. `put(i, r, g, b)` receives the output pixel index (row-major).
 */
function sample(
  src: RgbImage,
  quad: Quad,
  outW: number,
  outH: number,
  fill: number,
  put: (i: number, r: number, g: number, b: number) => void,
): void {
  const [tl, tr, , bl] = quad;
  const ux = (tr.x - tl.x) / outW;
  const uy = (tr.y - tl.y) / outW;
  const vx = (bl.x - tl.x) / outH;
  const vy = (bl.y - tl.y) / outH;
  const { data, width, height } = src;
  const maxX = width - 1;
  const maxY = height - 1;
  let i = 0;
  for (let v = 0; v < outH; v++) {
    const bx = tl.x + (v + 0.5) * vx - 0.5;
    const by = tl.y + (v + 0.5) * vy - 0.5;
    for (let u = 0; u < outW; u++, i++) {
      const x = bx + (u + 0.5) * ux;
      const y = by + (u + 0.5) * uy;
      if (x < -0.5 || y < -0.5 || x > maxX + 0.5 || y > maxY + 0.5) {
        put(i, fill, fill, fill);
        continue;
      }
      const xc = Math.min(maxX, Math.max(0, x));
      const yc = Math.min(maxY, Math.max(0, y));
      const x0 = Math.floor(xc);
      const y0 = Math.floor(yc);
      const x1 = x0 < maxX ? x0 + 1 : x0;
      const y1 = y0 < maxY ? y0 + 1 : y0;
      const fx = xc - x0;
      const fy = yc - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = (y0 * width + x0) * 3;
      const p01 = (y0 * width + x1) * 3;
      const p10 = (y1 * width + x0) * 3;
      const p11 = (y1 * width + x1) * 3;
      put(
        i,
        data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11,
        data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11,
        data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11,
      );
    }
  }
}

/** Writes the straightened crop as uint8 RGB (NHWC) into `dst` starting at `offset`. */
export function warpToUint8(
  src: RgbImage,
  quad: Quad,
  outW: number,
  outH: number,
  dst: Uint8Array,
  offset: number,
): void {
  sample(src, quad, outW, outH, 114, (i, r, g, b) => {
    const o = offset + i * 3;
    dst[o] = r + 0.5;
    dst[o + 1] = g + 0.5;
    dst[o + 2] = b + 0.5;
  });
}

/**
 * Writes the straightened crop as float CHW into `dst` (plane stride `planeStride`, row stride `rowStride`),
 * each value mapped to (v / 255 - mean) / std. Used for the PP-OCR recogniser ((v/255 - 0.5) / 0.5).
 */
export function warpToFloatChw(
  src: RgbImage,
  quad: Quad,
  outW: number,
  outH: number,
  dst: Float32Array,
  offset: number,
  rowStride: number,
  planeStride: number,
  mean: number,
  std: number,
): void {
  const k = 1 / (255 * std);
  const m = mean / std;
  sample(src, quad, outW, outH, 0, (i, r, g, b) => {
    const o = offset + Math.floor(i / outW) * rowStride + (i % outW);
    dst[o] = r * k - m;
    dst[o + planeStride] = g * k - m;
    dst[o + 2 * planeStride] = b * k - m;
  });
}
