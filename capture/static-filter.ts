import sharp from 'sharp';
import type { CameraConfig } from '../shared/config/camera-config.ts';

const SIDE = 64;

/**
 * skip_static: a frame is static when the mean absolute difference of its 64×64 greyscale thumbnail
 * (inside the roi when one is set) from the last frame that was sent is below static_threshold (0..1 of
 * full scale). The reference is the last frame sent, so a slow change still gets through once it adds up.
 * sharp shrinks JPEGs while decoding, so this costs far less than a full decode.
 */
export function staticFilter(camera: CameraConfig): (img: Buffer) => Promise<boolean> {
  let reference: Buffer | undefined;
  const roi = camera.roi ?? { x: 0, y: 0, w: 1, h: 1 };
  const x0 = Math.floor(roi.x * SIDE);
  const y0 = Math.floor(roi.y * SIDE);
  const x1 = Math.max(x0 + 1, Math.ceil((roi.x + roi.w) * SIDE));
  const y1 = Math.max(y0 + 1, Math.ceil((roi.y + roi.h) * SIDE));
  return async (img) => {
    const thumb = await sharp(img).greyscale().resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer();
    if (!reference) {
      reference = thumb;
      return false;
    }
    let sum = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) sum += Math.abs(thumb[y * SIDE + x]! - reference[y * SIDE + x]!);
    }
    const diff = sum / ((x1 - x0) * (y1 - y0) * 255);
    if (diff < camera.staticThreshold) return true;
    reference = thumb;
    return false;
  };
}
