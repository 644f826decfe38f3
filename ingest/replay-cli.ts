import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { EnvReader } from '../shared/config/env-reader.ts';
import { PlatestreamError } from '../shared/errors.ts';
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
  --json                print the summary as one JSON object on stdout

--to redis uses REDIS_URL, LPR_PREFIX and the backpressure variables (LPR_BACKPRESSURE_POLICY, LPR_MAX_BACKLOG,
LPR_STREAM_MEMORY_BUDGET) like the ingest service.`;

function posInt(name: string, v: string | undefined, def: number, min = 0): number {
  if (v === undefined) return def;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min) {
    throw new PlatestreamError('CONFIG_INVALID', `--${name} "${v}" must be a number >= ${min}`);
  }
  return Number(v);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const path = positionals[0];
  const synthetic = values.synthetic === undefined ? undefined : posInt('synthetic', values.synthetic, 0, 1);
  if ((path === undefined) === (synthetic === undefined) || positionals.length > 1) {
    process.stderr.write(`${HELP}\n`);
    return 2;
  }
  const fps = posInt('fps', values.fps, 5, 0.001);
  const source: ReplaySource =
    synthetic !== undefined
      ? { kind: 'synthetic', count: synthetic }
      : resolveSource(path!, values['source-type'], fps, values.ffmpeg);
  const nCameras = posInt('cameras', values.cameras, 1, 1);
  const cameras =
    nCameras === 1
      ? [values.camera]
      : Array.from({ length: nCameras }, (_, i) => `${values.camera}-${i + 1}`);

  let target: ReplayTarget;
  if (values.to === 'http') {
    target = {
      kind: 'http',
      url: values.url ?? values.target ?? process.env.LPR_INGEST_URL ?? 'http://127.0.0.1:8080',
      token: values.token ?? process.env.LPR_REPLAY_TOKEN,
    };
  } else if (values.to === 'redis') {
    const config = readIngestConfig(new EnvReader({ ...process.env, LPR_AUTH: 'open' }));
    target = {
      kind: 'redis',
      redis: config.redis,
      backpressure: config.backpressure,
      maxPixels: config.maxPixels,
    };
  } else {
    throw new PlatestreamError('CONFIG_INVALID', `--to "${values.to}" must be http or redis`);
  }
  const options: ReplayOptions = {
    source,
    target,
    cameras,
    rate: posInt('rate', values.rate, values.fps !== undefined ? fps : REPLAY_DEFAULTS.rate),
    loop: values.loop,
    concurrency: posInt('concurrency', values.concurrency, REPLAY_DEFAULTS.concurrency, 1),
    maxRetries: posInt('max-retries', values['max-retries'], REPLAY_DEFAULTS.maxRetries),
    ...(values.limit !== undefined ? { limit: posInt('limit', values.limit, 0, 1) } : {}),
  };

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reporter = createProgressReporter(process.stderr);
  let shownRejections = 0;
  try {
    const result = await replay(options, {
      signal: abort.signal,
      onProgress: (p) => reporter.update(p),
      onRejected: (r) => {
        if (shownRejections++ < 5) {
          process.stderr.write(
            `replay: ${r.name} as ${r.camera} rejected: ${r.status} ${r.reason}: ${r.message}\n`,
          );
        }
      },
    });
    reporter.stop();
    process.stdout.write(`${values.json ? JSON.stringify(result) : formatSummary(result)}\n`);
    return result.accepted > 0 && result.failed === 0 ? 0 : 1;
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
      throw new PlatestreamError('CONFIG_INVALID', `replay: ${path} does not exist`);
    }
    const ext = extname(path).toLowerCase();
    kind = isDir ? 'folder' : ['.txt', '.list', '.manifest'].includes(ext) ? 'manifest' : 'video';
  }
  if (kind === 'folder' || kind === 'manifest') return { kind, path };
  if (kind === 'video') return { kind, path, fps, ffmpegPath };
  throw new PlatestreamError('CONFIG_INVALID', `--source-type "${kind}" must be folder, manifest or video`);
}
