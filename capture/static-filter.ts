import type { CameraConfig } from '../shared/config/camera-config.ts';
import { changedFraction, type FrameThumbnail, regionMask, thumbnail } from '../shared/image/static-scene.ts';

/**
 * skip_static for one camera, with the worker's static-gate rule (shared/image/static-scene.ts): a frame
 * whose grey thumbnail has fewer than static_threshold of its pixels changed (beyond the global brightness
 * shift, inside the roi when set) against the last frame sent is static and not sent. The reference is the
 * last frame sent and lives in memory; one older than static_max_age_ms is not trusted, so the next frame
 * is sent and becomes the reference (a vehicle that stopped in view is read again). A frame the thumbnail
 * cannot decode is sent (the worker says what is wrong with it).
 */
export function staticFilter(camera: CameraConfig): (img: Buffer) => Promise<boolean> {
  let reference: { thumb: FrameThumbnail; at: number } | undefined;
  let mask: { frameWidth: number; mask: Uint8Array | undefined } | undefined;
  return async (img) => {
    let thumb: FrameThumbnail;
    try {
      thumb = await thumbnail(img);
    } catch {
      return false;
    }
    const now = Date.now();
    if (reference && now - reference.at <= camera.staticMaxAgeMs) {
      if (mask?.frameWidth !== thumb.frameWidth) {
        mask = { frameWidth: thumb.frameWidth, mask: regionMask(thumb, thumb.frameWidth, camera.roi) };
      }
      if (changedFraction(thumb, reference.thumb, mask.mask) < camera.staticThreshold) return true;
    }
    reference = { thumb, at: now };
    return false;
  };
}
