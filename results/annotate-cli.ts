import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { RedisClient } from '../shared/redis/connection.ts';
import {
  type CliIO,
  intOption,
  openOperatorRedis,
  parseCommandArgs,
  processIO,
  usageError,
} from '../shared/cli/index.ts';
import { decodeFrame } from '../shared/codec/frame-codec.ts';
import { decodeResult, type ResultRecord } from '../shared/codec/result-codec.ts';
import { parseCameraRois, type Roi } from '../shared/config/camera-roi.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { annotateImage } from './annotate.ts';

export const summary = 'draw plate boxes and text onto frames';

const HELP = `usage:
  platestream annotate --result <RESULT_ID>... [--out DIR]
  platestream annotate --camera <CAMERA> [--last 10] [--out DIR]
  platestream annotate --dir <IMAGE_FOLDER> [--out DIR]
Writes JPEG frames with plate boxes and text drawn (best plate green, other candidates amber).
--result/--camera read frames back from Redis: acknowledged frames are trimmed unless the worker keeps them
(LPR_FRAME_RETENTION_MS). --dir runs the recogniser locally on a folder of images.
Uses REDIS_URL and LPR_PREFIX (--result, --camera), the recognition variables (--dir).
`;

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: {
      result: { type: 'string', multiple: true },
      camera: { type: 'string' },
      last: { type: 'string', default: '10' },
      dir: { type: 'string' },
      out: { type: 'string', default: 'annotated' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const modes = [values.result, values.camera, values.dir].filter((v) => v !== undefined).length;
  if (modes !== 1) throw usageError('give exactly one of --result, --camera or --dir');
  const last = intOption('last', values.last, { min: 1 })!;
  await mkdir(values.out, { recursive: true });
  if (values.dir) return annotateFolder(values.dir, values.out, io);

  const rois = cameraRois(io.env);
  const { redis, keys } = await openOperatorRedis(io.env, { name: 'annotate' });
  try {
    let results: ResultRecord[];
    if (values.result) {
      results = [];
      for (const id of values.result) {
        const rows = (await redis.xrange(keys.results, id, id)) as [string, string[]][];
        if (!rows[0]) {
          io.stderr.write(`result ${id}: not found in ${keys.results} (trimmed or wrong id)\n`);
          continue;
        }
        results.push(decodeResult(rows[0][0], rows[0][1]));
      }
    } else {
      results = await recentForCamera(redis, keys, values.camera!, last);
    }
    let written = 0;
    for (const res of results) {
      const rows = (await redis.xrangeBuffer(keys.frames, res.frame, res.frame)) as [Buffer, Buffer[]][];
      if (!rows[0]) {
        io.stderr.write(
          `result ${res.id}: frame ${res.frame} is no longer in ${keys.frames} (set LPR_FRAME_RETENTION_MS on the workers to keep frames)\n`,
        );
        continue;
      }
      const frame = decodeFrame(res.frame, rows[0][1]);
      const file = join(values.out, `${res.camera}-${res.id}.jpg`);
      await writeFile(file, await annotateImage(frame.img, res, { roi: rois[res.camera] }));
      io.stdout.write(`${file}\n`);
      written++;
    }
    return written > 0 || results.length === 0 ? 0 : 1;
  } finally {
    await closeRedis(redis);
  }
}

/** The cameras' regions of interest (LPR_CAMERA_ROI, as the workers read it), drawn on their frames. */
function cameraRois(env: CliIO['env']): Record<string, Roi> {
  const r = new EnvReader(env);
  const rois = parseCameraRois(r, 'LPR_CAMERA_ROI', r.optionalString('LPR_CAMERA_ROI'));
  r.finish();
  return rois;
}

async function recentForCamera(
  redis: RedisClient,
  keys: StreamKeys,
  camera: string,
  last: number,
): Promise<ResultRecord[]> {
  const out: ResultRecord[] = [];
  let end = '+';
  while (out.length < last) {
    const rows = (await redis.xrevrange(keys.results, end, '-', 'COUNT', 500)) as [string, string[]][];
    for (const [id, fields] of rows) {
      const rec = decodeResult(id, fields);
      if (rec.camera === camera) out.push(rec);
      if (out.length >= last) break;
    }
    if (rows.length < 500) break;
    end = `(${rows[rows.length - 1]![0]}`;
  }
  return out;
}

async function annotateFolder(dir: string, out: string, io: CliIO): Promise<number> {
  const { createOnnxRecognizer } = await import('../models/index.ts');
  const recognizer = await createOnnxRecognizer(io.env);
  try {
    await recognizer.warmup();
    const files = (await readdir(dir)).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
    for (const f of files) {
      const img = await readFile(join(dir, f));
      const ext = extname(f).toLowerCase();
      const mime = ext === '.png' ? 'image/png' : ext === '.webp' ? 'image/webp' : 'image/jpeg';
      const res = await recognizer.recognize({ id: f, camera: 'local', ts: Date.now(), mime, img });
      const file = join(out, `${basename(f, extname(f))}.jpg`);
      await writeFile(file, await annotateImage(img, { ...res, plates: res.candidates }));
      io.stdout.write(`${file}\t${res.plate || '(none)'}\n`);
    }
    return 0;
  } finally {
    await recognizer.close();
  }
}
