import { statSync } from 'node:fs';
import { extname } from 'node:path';
import {
  type CliIO,
  EXIT,
  numberOption,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { DEFAULT_STATIC_THRESHOLD } from '../shared/image/static-scene.ts';
import { readIngestConfig } from './config.ts';
import { createProgressReporter, formatSummary } from './replay/progress.ts';
import { REPLAY_DEFAULTS, type ReplayOptions, replay } from './replay/replay.ts';
import type { ReplayTarget } from './replay/sinks.ts';
import type { ReplaySource } from './replay/sources.ts';

export const summary = 'push a folder of images or a video into the pipeline';

const HELP = `usage: platestream replay <folder | manifest | video> [options]
       platestream replay --synthetic N [options]

Pushes images to the ingest HTTP API (default) or straight into the frames Redis stream.
  folder     every .jpg/.jpeg/.png/.webp in name order (numeric-aware)
  manifest   a text file (.txt/.list/.manifest): one image path per line, relative to the file; # comments
  video      any file ffmpeg reads; frames taken at --fps
  --synthetic N   N synthetic plate scenes rendered in memory (no files needed)

Options:
  --to http|redis       target (default http)
  --url URL             ingest base URL for --to http (default $LPR_INGEST_URL or http://127.0.0.1:8080);
                        --target URL is the same
  --token TOKEN         bearer token for --to http (default $LPR_REPLAY_TOKEN)
  --fps N               frames per second taken from a video (default 5); also the default --rate
  --rate N              target frames per second over all cameras, 0 = as fast as accepted
                        (default: --fps when given, else 0)
  --loop                start over at the end of the source (stop with Ctrl-C or --limit)
  --limit N             stop after N frames
  --cameras N           simulate N cameras, each sending every image (default 1)
  --camera ID           camera id; with --cameras N > 1 the ids are ID-1 .. ID-N (default cam)
  --concurrency N       frames in flight (default 4)
  --max-retries N       retries per frame after 503 / network errors (default 10); Retry-After is honoured
  --source-type T       folder | manifest | video (default: guessed from the path)
  --ffmpeg PATH         ffmpeg binary (default ffmpeg)
  --skip-static         do not send a frame whose scene has not changed since the camera's last frame sent
                        (a 96-px grey thumbnail compared, brightness-corrected, as the workers' LPR_SKIP_STATIC)
  --static-threshold X  share of changed thumbnail pixels below which a frame is static (default 0.004)
  --json                print the summary as one JSON object on stdout

--to redis uses REDIS_URL, LPR_PREFIX and the backpressure variables (LPR_BACKPRESSURE_POLICY, LPR_MAX_BACKLOG,
LPR_STREAM_MEMORY_BUDGET) like the ingest service.
`;

/** A number option >= min (default when absent). */
function num(name: string, v: string | undefined, def: number, min = 0): number {
  return numberOption(name, v, { min }) ?? def;
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string', default: 'http' },
      url: { type: 'string' },
      target: { type: 'string' },
      synthetic: { type: 'string' },
      token: { type: 'string' },
      fps: { type: 'string' },
      rate: { type: 'string' },
      loop: { type: 'boolean', default: false },
      limit: { type: 'string' },
      cameras: { type: 'string' },
      camera: { type: 'string', default: 'cam' },
      concurrency: { type: 'string' },
      'max-retries': { type: 'string' },
      'source-type': { type: 'string' },
      ffmpeg: { type: 'string', default: 'ffmpeg' },
      json: { type: 'boolean', default: false },
      'skip-static': { type: 'boolean', default: false },
      'static-threshold': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const path = positionals[0];
  const synthetic = values.synthetic === undefined ? undefined : num('synthetic', values.synthetic, 0, 1);
  if (positionals.length > 1) throw usageError(`one source at a time; got ${positionals.join(', ')}`);
  if ((path === undefined) === (synthetic === undefined))
    throw usageError('give a folder, manifest or video, or --synthetic N (not both)');
  const fps = num('fps', values.fps, 5, 0.001);
  const source: ReplaySource =
    synthetic !== undefined
      ? syntheticSource(synthetic)
      : resolveSource(path!, values['source-type'], fps, values.ffmpeg);
  const nCameras = num('cameras', values.cameras, 1, 1);
  const cameras =
    nCameras === 1
      ? [values.camera]
      : Array.from({ length: nCameras }, (_, i) => `${values.camera}-${i + 1}`);

  let target: ReplayTarget;
  if (values.to === 'http') {
    target = {
      kind: 'http',
      url: values.url ?? values.target ?? io.env.LPR_INGEST_URL ?? 'http://127.0.0.1:8080',
      token: values.token ?? io.env.LPR_REPLAY_TOKEN,
    };
  } else if (values.to === 'redis') {
    const config = readIngestConfig(new EnvReader({ ...io.env, LPR_AUTH: 'open' }));
    target = {
      kind: 'redis',
      redis: config.redis,
      backpressure: config.backpressure,
      maxPixels: config.maxPixels,
    };
  } else {
    throw usageError(`--to "${values.to}" must be http or redis`);
  }
  const options: ReplayOptions = {
    source,
    target,
    cameras,
    rate: num('rate', values.rate, values.fps !== undefined ? fps : REPLAY_DEFAULTS.rate),
    loop: values.loop,
    concurrency: num('concurrency', values.concurrency, REPLAY_DEFAULTS.concurrency, 1),
    maxRetries: num('max-retries', values['max-retries'], REPLAY_DEFAULTS.maxRetries),
    ...(values['skip-static'] || values['static-threshold'] !== undefined
      ? { skipStatic: threshold(values['static-threshold']) }
      : {}),
    ...(values.limit !== undefined ? { limit: num('limit', values.limit, 0, 1) } : {}),
  };

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reporter = createProgressReporter(io.stderr as NodeJS.WriteStream);
  let shownRejections = 0;
  try {
    const result = await replay(options, {
      signal: abort.signal,
      onProgress: (p) => reporter.update(p),
      onRejected: (r) => {
        if (shownRejections++ < 5) {
          io.stderr.write(
            `replay: ${r.name} as ${r.camera} rejected: ${r.status} ${r.reason}: ${r.message}\n`,
          );
        }
      },
    });
    reporter.stop();
    io.stdout.write(`${values.json ? JSON.stringify(result) : formatSummary(result)}\n`);
    return result.accepted > 0 && result.failed === 0 ? 0 : 1;
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** --static-threshold: a share 0..1 of changed thumbnail pixels (default as the workers' LPR_STATIC_THRESHOLD). */
function threshold(v: string | undefined): number {
  if (v === undefined) return DEFAULT_STATIC_THRESHOLD;
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= 0 && n <= 1))
    throw usageError(`--static-threshold "${v}" must be from 0 to 1`);
  return n;
}

/** `--synthetic N`: the demo set's plate scenes, rendered in memory; the renderer loads only when asked for. */
function syntheticSource(count: number): ReplaySource {
  return {
    kind: 'generated',
    name: `${count} synthetic plate scenes`,
    count,
    frames: async function* () {
      const { demoImages } = await import('../models/synthetic/index.ts');
      yield* demoImages({ count });
    },
  };
}

function resolveSource(
  path: string,
  type: string | undefined,
  fps: number,
  ffmpegPath: string,
): ReplaySource {
  let kind = type;
  if (kind === undefined) {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw usageError(`${path} does not exist`);
    }
    const ext = extname(path).toLowerCase();
    kind = isDir ? 'folder' : ['.txt', '.list', '.manifest'].includes(ext) ? 'manifest' : 'video';
  }
  if (kind === 'folder' || kind === 'manifest') return { kind, path };
  if (kind === 'video') return { kind, path, fps, ffmpegPath };
  throw usageError(`--source-type "${kind}" must be folder, manifest or video`);
}
