import { execFile } from 'node:child_process';
import { detectImageType, readImageSize } from '../ingest/image-header.ts';
import { type CameraConfig, redactCameraUrl, urlWithCredentials } from '../shared/config/camera-config.ts';
import { startHttpSource } from './http-source.ts';
import { sourceKind } from './sources.ts';
import { classifyFailure } from './source.ts';

export interface CheckRow {
  camera: string;
  /** The URL without credentials. */
  url: string;
  reachable: boolean;
  codec: string | undefined;
  width: number | undefined;
  height: number | undefined;
  /** Frames per second the source announces (ffprobe) or delivers (MJPEG, measured); undefined for snapshots. */
  fps: number | undefined;
  /** Why it is not reachable (auth, not-found, refused, ...) and what the source said. */
  error: string | undefined;
}

/** Connects to each camera once (all at the same time) and reports what it serves. */
export async function checkCameras(
  cameras: readonly CameraConfig[],
  opts: { ffprobePath: string; mjpegSampleMs?: number },
): Promise<CheckRow[]> {
  return Promise.all(cameras.map((c) => checkOne(c, opts)));
}

async function checkOne(
  camera: CameraConfig,
  opts: { ffprobePath: string; mjpegSampleMs?: number },
): Promise<CheckRow> {
  const base: CheckRow = {
    camera: camera.id,
    url: redactCameraUrl(camera.url),
    reachable: false,
    codec: undefined,
    width: undefined,
    height: undefined,
    fps: undefined,
    error: undefined,
  };
  return sourceKind(camera) === 'ffmpeg'
    ? probeWithFfprobe(camera, base, opts.ffprobePath)
    : probeHttp(camera, base, opts.mjpegSampleMs ?? 2000);
}

function probeWithFfprobe(camera: CameraConfig, row: CheckRow, ffprobePath: string): Promise<CheckRow> {
  const isRtsp = /^rtsps?:\/\//i.test(camera.url);
  const args = ['-v', 'error'];
  if (isRtsp) {
    if (camera.rtspTransport !== 'auto') args.push('-rtsp_transport', camera.rtspTransport);
    args.push('-timeout', String(camera.stallTimeoutS * 1_000_000));
  }
  args.push(
    ...camera.inputArgs,
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate,r_frame_rate',
    '-of',
    'json',
  );
  args.push(
    /^file:\/\//i.test(camera.url) ? camera.url.slice(7) : urlWithCredentials(camera.url, camera.credentials),
  );
  return new Promise((resolve) => {
    execFile(
      ffprobePath,
      args,
      { timeout: (camera.stallTimeoutS + 5) * 1000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const text = redactCameraUrl(
            `${String(stderr).trim().split('\n').slice(-2).join(' | ')}` || err.message,
          );
          const spawn = (err as NodeJS.ErrnoException).code === 'ENOENT';
          resolve({
            ...row,
            error: spawn
              ? `cannot run ${ffprobePath}; install ffmpeg or pass --ffprobe PATH`
              : `${err.killed ? 'timeout' : classifyFailure(text)}: ${text}`,
          });
          return;
        }
        const stream = (JSON.parse(String(stdout)) as { streams?: Record<string, unknown>[] }).streams?.[0];
        if (!stream) return resolve({ ...row, reachable: true, error: 'no video stream' });
        resolve({
          ...row,
          reachable: true,
          codec: String(stream.codec_name),
          width: Number(stream.width) || undefined,
          height: Number(stream.height) || undefined,
          fps: rate(String(stream.avg_frame_rate)) ?? rate(String(stream.r_frame_rate)),
        });
      },
    );
  });
}

function rate(r: string): number | undefined {
  const [n, d] = r.split('/').map(Number);
  if (!n || !d) return undefined;
  return Math.round((n / d) * 100) / 100;
}

async function probeHttp(camera: CameraConfig, row: CheckRow, sampleMs: number): Promise<CheckRow> {
  const arrivals: number[] = [];
  let first: Buffer | undefined;
  let resolveFirst!: () => void;
  const gotFirst = new Promise<void>((r) => {
    resolveFirst = r;
  });
  // The source at a high fps so an MJPEG stream's own rate is what gets measured.
  const run = startHttpSource(
    { ...camera, fps: 1000 },
    camera.type === 'snapshot' ? 'snapshot' : camera.type === 'mjpeg' ? 'mjpeg' : 'auto',
    {
      onFrame: (img, ts) => {
        first ??= img;
        arrivals.push(ts);
        resolveFirst();
      },
    },
  );
  const failure = await Promise.race([run.ended, gotFirst.then(() => undefined)]);
  if (!first) {
    await run.stop();
    return { ...row, error: failure ? `${failure.kind}: ${failure.message}` : 'no image' };
  }
  const snapshot = camera.type === 'snapshot';
  if (!snapshot) await Promise.race([run.ended, new Promise((r) => setTimeout(r, sampleMs))]);
  await run.stop();
  const mime = detectImageType(first);
  const size = mime ? readImageSize(first, mime) : undefined;
  // A snapshot URL polled at 1000 fps gives the round-trip rate, not a camera rate: leave fps out.
  const isStream = !snapshot && arrivals.length > 2 && arrivals[arrivals.length - 1]! - arrivals[0]! > 0;
  return {
    ...row,
    reachable: true,
    codec: mime === 'image/jpeg' ? (isStream ? 'mjpeg' : 'jpeg') : (mime ?? 'unknown'),
    width: size?.width,
    height: size?.height,
    fps: isStream
      ? Math.round(((arrivals.length - 1) * 1000 * 100) / (arrivals[arrivals.length - 1]! - arrivals[0]!)) /
        100
      : undefined,
    error: mime ? undefined : 'the source did not answer with an image',
  };
}

/** The table `platestream capture --check` prints. */
export function formatCheckTable(rows: readonly CheckRow[]): string {
  const head = ['camera', 'reachable', 'codec', 'resolution', 'fps', 'url / error'];
  const body = rows.map((r) => [
    r.camera,
    r.reachable ? 'yes' : 'NO',
    r.codec ?? '-',
    r.width && r.height ? `${r.width}x${r.height}` : '-',
    r.fps !== undefined ? String(r.fps) : '-',
    r.error ? `${r.url}: ${r.error}` : r.url,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`;
  return line(head) + body.map(line).join('');
}
