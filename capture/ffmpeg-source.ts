import { spawn } from 'node:child_process';
import { type CameraConfig, redactCameraUrl, urlWithCredentials } from '../shared/config/camera-config.ts';
import type { ChildReaper } from './child-reaper.ts';
import { JpegSplitter } from './jpeg-splitter.ts';
import { classifyFailure, type SourceFailure, type SourceHandlers, type SourceRun } from './source.ts';

export interface FfmpegSourceOptions {
  camera: CameraConfig;
  /** ffmpeg binary (`--ffmpeg PATH`, CAPTURE_FFMPEG). */
  ffmpegPath: string;
  /** Kills the child if this process dies without stopping it. */
  reaper?: ChildReaper;
  /** JPEG quality for ffmpeg's mjpeg encoder (2 best .. 31 worst). */
  jpegQuality?: number;
  /** Grace period between SIGTERM and SIGKILL when stopping (ms). */
  killGraceMs?: number;
}

/** I/O timeout ffmpeg applies to the network source (rtsp, http), so a dead camera ends the child too. */
const IO_TIMEOUT_US = 10_000_000;

/** The ffmpeg argument list for one camera (exported for the tests and `--check`). */
export function ffmpegArgs(camera: CameraConfig, quality = 5): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  const scheme = /^([a-z]+):\/\//i.exec(camera.url)?.[1]?.toLowerCase();
  const isRtsp = scheme === 'rtsp' || scheme === 'rtsps';
  const isFile = scheme === undefined || scheme === 'file';
  if (isRtsp) {
    if (camera.rtspTransport !== 'auto') args.push('-rtsp_transport', camera.rtspTransport);
    args.push('-timeout', String(IO_TIMEOUT_US));
  } else if (!isFile) {
    args.push('-rw_timeout', String(IO_TIMEOUT_US));
  }
  if (isFile) args.push('-re', '-stream_loop', '-1');
  args.push(...camera.inputArgs);
  args.push(
    '-i',
    isFile ? camera.url.replace(/^file:\/\//i, '') : urlWithCredentials(camera.url, camera.credentials),
  );
  args.push('-an', '-sn', '-dn', '-vf', `fps=${camera.fps}`);
  args.push('-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', String(quality), 'pipe:1');
  return args;
}

/**
 * One ffmpeg child decoding a camera (RTSP, a looped file, anything ffmpeg opens) and writing JPEGs at the
 * camera's fps to its stdout, where a JpegSplitter cuts them apart. The run ends when the child exits
 * (classified from its stderr: 401 → auth, 404 → not-found, ...), or when `stop()` kills it.
 */
export function startFfmpegSource(opts: FfmpegSourceOptions, handlers: SourceHandlers): SourceRun {
  const { camera } = opts;
  const child = spawn(opts.ffmpegPath, ffmpegArgs(camera, opts.jpegQuality), {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C at the terminal reaches only capture, which stops the children
    // itself (no "source failed" noise during shutdown); the ChildReaper covers capture dying.
    detached: true,
  });
  opts.reaper?.watch(child.pid);
  let stopping = false;
  let stderr = '';
  let frames = 0;
  let spawnError: Error | undefined;
  const splitter = new JpegSplitter();
  child.stdout.on('data', (chunk: Buffer) => {
    for (const img of splitter.push(chunk)) {
      frames += 1;
      handlers.onFrame(img, Date.now());
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const ended = new Promise<SourceFailure | undefined>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
      // A child that never started emits no 'close' on every Node version.
      if (child.pid === undefined) finish(null, null);
    });
    child.once('close', (code, signal) => finish(code, signal));
    let done = false;
    function finish(code: number | null, signal: NodeJS.Signals | null) {
      if (done) return;
      done = true;
      opts.reaper?.forget(child.pid);
      if (stopping) return resolve(undefined);
      if (spawnError) {
        return resolve({
          kind: 'spawn',
          message: `cannot run ${opts.ffmpegPath} (${spawnError.message}); install ffmpeg or pass --ffmpeg PATH`,
        });
      }
      const text = redactCameraUrl(stderr.trim().split('\n').slice(-3).join(' | '));
      const kind = text ? classifyFailure(text) : 'ended';
      resolve({
        kind,
        message: `ffmpeg exited (${code ?? signal}) after ${frames} frame${frames === 1 ? '' : 's'}${text ? `: ${text}` : ''}`,
      });
    }
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        await ended;
        return;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 2000);
      await ended;
      clearTimeout(timer);
    })();
    return stopped;
  };
  return { ended, stop };
}
