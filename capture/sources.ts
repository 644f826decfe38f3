import type { CameraConfig } from '../shared/config/camera-config.ts';
import type { SourceStarter } from './camera-runner.ts';
import type { ChildReaper } from './child-reaper.ts';
import { startFfmpegSource } from './ffmpeg-source.ts';
import { startHttpSource } from './http-source.ts';

/** The kind of source a camera resolves to (its `type`, or guessed from the URL when `auto`). */
export function sourceKind(camera: CameraConfig): 'ffmpeg' | 'http-auto' | 'mjpeg' | 'snapshot' {
  if (camera.type === 'mjpeg' || camera.type === 'snapshot') return camera.type;
  if (camera.type === 'rtsp' || camera.type === 'file' || camera.type === 'ffmpeg') return 'ffmpeg';
  return /^https?:\/\//i.test(camera.url) ? 'http-auto' : 'ffmpeg';
}

/** Picks how a camera is pulled: ffmpeg for RTSP, files and anything ffmpeg opens; HTTP for MJPEG and snapshots. */
export function sourceStarter(
  camera: CameraConfig,
  opts: { ffmpegPath: string; reaper?: ChildReaper },
): SourceStarter {
  const kind = sourceKind(camera);
  if (kind === 'ffmpeg') {
    return (handlers) => ({
      run: startFfmpegSource(
        { camera, ffmpegPath: opts.ffmpegPath, ...(opts.reaper ? { reaper: opts.reaper } : {}) },
        handlers,
      ),
      sampled: true,
    });
  }
  const mode = kind === 'http-auto' ? 'auto' : kind;
  return (handlers) => ({ run: startHttpSource(camera, mode, handlers), sampled: false });
}
