import { readFileSync } from 'node:fs';
import { parseCameraConfig } from './camera-config.ts';
import type { Roi } from './camera-roi.ts';
import type { Env, EnvReader } from './env-reader.ts';

/**
 * What the workers take from the cameras file (LPR_CAMERAS_FILE, the file `platestream capture --config`
 * reads): each camera's region of interest and, for cameras with `skip_static: true`, its static threshold.
 * LPR_CAMERA_ROI and LPR_CAMERA_STATIC override a camera's entry.
 */
export interface CameraHints {
  rois: Readonly<Record<string, Roi>>;
  /** Cameras whose static frames are skipped, with their static_threshold. */
  staticThresholds: Readonly<Record<string, number>>;
}

export const NO_CAMERA_HINTS: CameraHints = Object.freeze({ rois: {}, staticThresholds: {} });

/** Reads and validates LPR_CAMERAS_FILE once; problems (unreadable file, bad entries) go to the reader. */
export function readCameraHints(r: EnvReader, env: Env): CameraHints {
  const path = r.optionalString('LPR_CAMERAS_FILE');
  if (path === undefined || path.trim() === '') return NO_CAMERA_HINTS;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    r.problem('LPR_CAMERAS_FILE', `cannot read ${path}: ${(err as Error).message}`);
    return NO_CAMERA_HINTS;
  }
  try {
    // Workers need no camera passwords: password_env variables need not be set in their environment.
    const file = parseCameraConfig(text, { source: path, env, secrets: 'ignore' });
    const rois: Record<string, Roi> = {};
    const staticThresholds: Record<string, number> = {};
    for (const cam of file.cameras) {
      if (cam.roi) rois[cam.id] = cam.roi;
      if (cam.skipStatic) staticThresholds[cam.id] = cam.staticThreshold;
    }
    return { rois, staticThresholds };
  } catch (err) {
    r.problem('LPR_CAMERAS_FILE', (err as Error).message);
    return NO_CAMERA_HINTS;
  }
}
