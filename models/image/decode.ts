import { frameSharp as sharp } from '../../shared/image/frame-sharp.ts';
import { PlatestreamError } from '../../shared/errors.ts';
import { MAX_IMAGE_PIXELS } from '../../shared/image-limits.ts';

/** A decoded frame: packed RGB, 3 bytes per pixel, row-major. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Decodes image bytes (JPEG/PNG/WebP...) into packed RGB, honouring EXIF orientation.
 * Anything sharp cannot decode becomes IMAGE_INVALID naming the frame, so the worker dead-letters it.
 */
export async function decodeRgb(img: Buffer, frameId: string): Promise<RgbImage> {
  if (!img || img.length === 0) {
    throw new PlatestreamError('IMAGE_INVALID', `frame ${frameId}: the image is empty`);
  }
  try {
    const { data, info } = await sharp(img, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width < 8 || info.height < 8) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw new PlatestreamError(
      'IMAGE_INVALID',
      `frame ${frameId}: the image cannot be decoded (${err instanceof Error ? err.message : String(err)})`,
      { cause: err, details: { frame: frameId } },
    );
  }
}

/** Resizes packed RGB to exactly `width` x `height` (bilinear-ish, sharp's default kernel for downscaling). */
export async function resizeRgb(src: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (src.width === width && src.height === height) return src;
  const data = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data, width, height };
}

/** A copy of the `rect` part of packed RGB (integer pixel rectangle inside the image). */
export function cropRgb(src: RgbImage, rect: { x: number; y: number; w: number; h: number }): RgbImage {
  if (rect.x === 0 && rect.y === 0 && rect.w === src.width && rect.h === src.height) return src;
  const data = Buffer.allocUnsafe(rect.w * rect.h * 3);
  const rowBytes = rect.w * 3;
  for (let y = 0; y < rect.h; y++) {
    const from = ((rect.y + y) * src.width + rect.x) * 3;
    src.data.copy(data, y * rowBytes, from, from + rowBytes);
  }
  return { data, width: rect.w, height: rect.h };
}
