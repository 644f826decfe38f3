import { readFile } from 'node:fs/promises';
import { type CliIO, EXIT, parseCommandArgs, processIO, usageError } from '../shared/cli/index.ts';
import { type CameraConfig, cameraFromFields, parseCameraConfig } from '../shared/config/camera-config.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { configureRootLogger, moduleLogger } from '../shared/logger.ts';
import { readCaptureConfig } from './config.ts';
import { startCapture } from './service.ts';

export const summary = 'pull RTSP, MJPEG and snapshot cameras into the frames stream';

const HELP = `usage: platestream capture --config cameras.yaml [options]
       platestream capture --url URL --camera ID [--fps N] [options]
       platestream capture --check cameras.yaml [--json]

Pulls frames from cameras (rtsp://, rtsps://, http(s):// MJPEG or snapshot URLs, or a video file played in a
loop) and writes them into the frames Redis stream through the ingest producer (same backpressure), or to an
ingest URL. Every source is restarted with exponential backoff when it fails, stalls or never connects.

Options:
  --config PATH          cameras file, YAML or JSON (default $CAPTURE_CONFIG); see docs/capture.md
  --url URL              one camera from the command line (credentials in the URL are kept out of logs)
  --camera ID            its camera id (required with --url)
  --fps N                frames per second to sample (default 5)
  --type T               auto | rtsp | mjpeg | snapshot | file | ffmpeg (default auto: from the URL)
  --rtsp-transport T     tcp | udp | udp_multicast | http | auto (default tcp)
  --ffmpeg PATH          ffmpeg binary (default $CAPTURE_FFMPEG or ffmpeg)
  --ffprobe PATH         ffprobe binary for --check (default $CAPTURE_FFPROBE or ffprobe)
  --port N               /metrics and /healthz port (default $CAPTURE_HTTP_PORT or 9466; 0 = off)
  --ingest-url URL       send frames to this ingest service instead of Redis ($CAPTURE_INGEST_URL)
  --token TOKEN          bearer token for --ingest-url ($CAPTURE_INGEST_TOKEN)
  --check                connect to each camera once and print reachable, codec, resolution, fps; exit 1
                         when one is unreachable
  --json                 with --check: one JSON object

Environment: REDIS_URL, LPR_PREFIX, LPR_BACKPRESSURE_POLICY, LPR_MAX_BACKLOG, LPR_STREAM_MEMORY_BUDGET,
CAPTURE_CONFIG, CAPTURE_FFMPEG, CAPTURE_FFPROBE, CAPTURE_HTTP_PORT, CAPTURE_HTTP_HOST, CAPTURE_INGEST_URL,
CAPTURE_INGEST_TOKEN, CAPTURE_SHUTDOWN_TIMEOUT_MS, LOG_LEVEL.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      url: { type: 'string' },
      camera: { type: 'string' },
      fps: { type: 'string' },
      type: { type: 'string' },
      'rtsp-transport': { type: 'string' },
      ffmpeg: { type: 'string' },
      ffprobe: { type: 'string' },
      port: { type: 'string' },
      'ingest-url': { type: 'string' },
      token: { type: 'string' },
      check: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1 || (positionals.length === 1 && !values.check)) {
    throw usageError(
      `unexpected argument ${positionals.join(' ')}; the cameras file goes after --config (or --check)`,
    );
  }
  const env = { ...io.env };
  if (values.ffmpeg !== undefined) env.CAPTURE_FFMPEG = values.ffmpeg;
  if (values.ffprobe !== undefined) env.CAPTURE_FFPROBE = values.ffprobe;
  if (values.port !== undefined) env.CAPTURE_HTTP_PORT = values.port;
  if (values['ingest-url'] !== undefined) env.CAPTURE_INGEST_URL = values['ingest-url'];
  if (values.token !== undefined) env.CAPTURE_INGEST_TOKEN = values.token;
  const config = readCaptureConfig(env);
  const cameras = await loadCameras(
    {
      path: positionals[0] ?? values.config ?? (values.url === undefined ? config.configPath : undefined),
      url: values.url,
      camera: values.camera,
      fps: values.fps,
      type: values.type,
      rtspTransport: values['rtsp-transport'],
    },
    env,
  );
  if (values.check) {
    const { checkCameras, formatCheckTable } = await import('./check.ts');
    const rows = await checkCameras(cameras, { ffprobePath: config.ffprobePath });
    io.stdout.write(values.json ? `${JSON.stringify({ cameras: rows })}\n` : formatCheckTable(rows));
    return rows.every((r) => r.reachable) ? EXIT.ok : 1;
  }
  configureRootLogger(config.log);
  const service = await startCapture(config, cameras, { logger: moduleLogger('capture'), signals: true });
  await service.closed;
  return EXIT.ok;
}

interface CameraSelection {
  path: string | undefined;
  url: string | undefined;
  camera: string | undefined;
  fps: string | undefined;
  type: string | undefined;
  rtspTransport: string | undefined;
}

/** Cameras from the file, or the one camera given by --url/--camera (checked by the same rules). */
async function loadCameras(sel: CameraSelection, env: NodeJS.ProcessEnv): Promise<readonly CameraConfig[]> {
  const oneCameraFlags = [sel.camera, sel.fps, sel.type, sel.rtspTransport].some((v) => v !== undefined);
  if (sel.url !== undefined) {
    if (sel.path !== undefined) throw usageError('give --config FILE or --url URL --camera ID, not both');
    if (sel.camera === undefined) throw usageError('--url needs --camera ID');
    const fields: Record<string, unknown> = { id: sel.camera, url: sel.url };
    if (sel.fps !== undefined) {
      const fps = Number(sel.fps);
      if (!Number.isFinite(fps)) throw usageError(`--fps "${sel.fps}" must be a number`);
      fields.fps = fps;
    }
    if (sel.type !== undefined) fields.type = sel.type;
    if (sel.rtspTransport !== undefined) fields.rtsp_transport = sel.rtspTransport;
    return [cameraFromFields(fields, env)];
  }
  if (sel.path === undefined)
    throw usageError('give --config cameras.yaml (or CAPTURE_CONFIG), or --url URL --camera ID');
  if (oneCameraFlags)
    throw usageError('--camera, --fps, --type and --rtsp-transport go with --url; set them in the file');
  let text: string;
  try {
    text = await readFile(sel.path, 'utf8');
  } catch (err) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `cannot read the cameras file ${sel.path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseCameraConfig(text, { source: sel.path, env }).cameras;
}
