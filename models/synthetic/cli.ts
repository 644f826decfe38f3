import { parseArgs } from 'node:util';
import { type CliIO, processIO, usageError } from '../../shared/cli/index.ts';
import { PlatestreamError } from '../../shared/errors.ts';
import { writeDataset } from './dataset.ts';
import { isPlateStyle, PLATE_STYLES, type PlateStyle } from './plate-styles.ts';
import { writeSequences } from './sequences.ts';

export const summary = 'write synthetic plate photos with ground truth (OpenALPR benchmark layout)';

const HELP = `usage: platestream synth <dir> [options]
       platestream synth <dir> --sequences N [--seed S] [--cameras C] [--fps F] [--width W] [--height H]
                         [--distortion D] [--style LIST]

Writes NAME.jpg + NAME.txt pairs (NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE), the OpenALPR benchmark
layout, so that "npm run eval -- <dir>" scores a recogniser on them. Same seed, same images.

options:
  --count N          number of images (default 100)
  --seed S           seed, a number or a word (default 1)
  --style LIST       comma-separated plate styles: ${PLATE_STYLES.join(', ')} (default: all)
  --pattern P        text pattern, repeatable: L = letter, 9 = digit, space/dash = gap (default: per style)
  --width W          image width in pixels (default 640)
  --height H         image height in pixels (default 480)
  --distortion D     0 = clean, 1 = default camera effects, up to 2 (default 1)
  --prefix NAME      file name stem (default synth)
  --start I          index of the first image, to extend a set (default 0)
  --sequences N      vehicle passes instead of single photos: vehicles approaching, leaving and crossing a
                     fixed view over several frames (hidden plates, motion blur, empty frames between),
                     <dir>/<camera>/<camera>-000001.jpg (+ .txt when the plate is visible) and <dir>/truth.json
                     listing every pass (camera, plate, first and last frame); for "npm run eval:events"
  --cameras C        cameras the passes are spread over (with --sequences; default 1)
  --fps F            camera frame rate written to truth.json (with --sequences; default 8)
  --quiet            no progress output
  -h, --help         this text`;

function intArg(name: string, v: string | undefined, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) {
    problems.push(`--${name} must be a non-negative integer, got "${v}"`);
    return undefined;
  }
  return Number(v);
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const problems: string[] = [];
  if (positionals.length !== 1) problems.push(`expected one output folder, got ${positionals.length}`);
  const count = intArg('count', values.count, problems) ?? 100;
  const width = intArg('width', values.width, problems);
  const height = intArg('height', values.height, problems);
  const start = intArg('start', values.start, problems);
  const seedText = values.seed ?? '1';
  const seed = /^\d+$/.test(seedText) ? Number(seedText) : seedText;
  let style: PlateStyle[] | undefined;
  if (values.style !== undefined) {
    const names = values.style.split(',').map((s) => s.trim());
    const bad = names.filter((s) => !isPlateStyle(s));
    if (bad.length > 0) problems.push(`--style ${bad.join(',')} is not one of ${PLATE_STYLES.join(', ')}`);
    else style = names as PlateStyle[];
  }
  let distortion: number | undefined;
  if (values.distortion !== undefined) {
    distortion = Number(values.distortion);
    if (!Number.isFinite(distortion))
      problems.push(`--distortion must be a number, got "${values.distortion}"`);
  }
  if (problems.length > 0) {
    throw usageError(problems.join('; '));
  }
  const dir = positionals[0]!;
  const t0 = performance.now();
  const sequences = intArg('sequences', values.sequences, problems);
  const cameras = intArg('cameras', values.cameras, problems);
  const fps = values.fps === undefined ? undefined : Number(values.fps);
  if (fps !== undefined && !(fps > 0)) problems.push(`--fps must be a positive number, got "${values.fps}"`);
  if (problems.length > 0) {
    throw usageError(problems.join('; '));
  }
  if (sequences !== undefined) {
    const quietSeq = values.quiet || !process.stderr.isTTY;
    try {
      const truth = await writeSequences(
        dir,
        {
          sequences,
          seed,
          ...(cameras !== undefined && { cameras }),
          ...(fps !== undefined && { fps }),
          ...(width !== undefined && { width }),
          ...(height !== undefined && { height }),
          ...(distortion !== undefined && { distortion }),
          ...(style && { style }),
        },
        (n, total) => {
          if (!quietSeq && (n % 20 === 0 || n === total)) io.stderr.write(`\r${n}/${total} frames`);
        },
      );
      if (!quietSeq) io.stderr.write('\n');
      io.stdout.write(
        `wrote ${truth.frames.length} frames of ${truth.passes.length} vehicle passes on ${truth.cameras.length} camera(s) to ${dir} (seed ${seedText}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n` +
          `score the events stage on them: npm run eval:events -- ${dir}\n`,
      );
      return 0;
    } catch (err) {
      if (err instanceof PlatestreamError && err.code === 'CONFIG_INVALID') {
        io.stderr.write(`platestream synth: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  }
  const step = Math.max(1, Math.ceil(count / 20));
  const quiet = values.quiet || !process.stderr.isTTY;
  let done = 0;
  try {
    await writeDataset(
      dir,
      {
        count,
        seed,
        ...(style && { style }),
        ...(values.pattern && { patterns: values.pattern }),
        ...(width !== undefined && { width }),
        ...(height !== undefined && { height }),
        ...(distortion !== undefined && { distortion }),
        ...(values.prefix !== undefined && { prefix: values.prefix }),
        ...(start !== undefined && { start }),
      },
      () => {
        done++;
        if (!quiet && (done % step === 0 || done === count)) io.stderr.write(`\r${done}/${count} images`);
      },
    );
  } catch (err) {
    if (!quiet) io.stderr.write('\n');
    if (err instanceof PlatestreamError && err.code === 'CONFIG_INVALID') {
      io.stderr.write(`platestream synth: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (!quiet) io.stderr.write('\n');
  const secs = (performance.now() - t0) / 1000;
  io.stdout.write(
    `wrote ${count} images with annotations to ${dir} (seed ${seedText}) in ${secs.toFixed(1)} s\n` +
      `score a recogniser on them: npm run eval -- ${dir}\n`,
  );
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      style: { type: 'string' },
      pattern: { type: 'string', multiple: true },
      width: { type: 'string' },
      height: { type: 'string' },
      distortion: { type: 'string' },
      prefix: { type: 'string' },
      start: { type: 'string' },
      sequences: { type: 'string' },
      cameras: { type: 'string' },
      fps: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
