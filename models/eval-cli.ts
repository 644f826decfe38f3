import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PlatestreamError } from '../shared/errors.ts';
import type { ReaderChoice } from './config.ts';
import { loadOpenAlprDir, type SampleOutcome, scoreSample, summarise } from './eval/openalpr.ts';
import { createOnnxRecognizer } from './index.ts';

const HELP = `usage: npm run eval -- <dir> [--json] [--verbose] [--limit N] [--det-size N] [--reader auto|cct|ppocr] [--formats LIST]

Evaluates the recogniser on a folder in the OpenALPR benchmark layout (NAME.jpg + NAME.txt with
tab-separated "file x y w h PLATE" lines). An image counts as correct only when the chosen best plate
equals the truth. Models and options come from the environment (LPR_MODEL_DIR, LPR_RECOGNIZER_THREADS,
LPR_THREADS, ...). Photos are read one at a time (CPU per photo counts every thread of the process).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      limit: { type: 'string' },
      'det-size': { type: 'string' },
      reader: { type: 'string' },
      formats: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  const env = { ...process.env };
  if (values['det-size']) env.LPR_DET_SIZE = values['det-size'];
  if (values.reader) env.LPR_READER = values.reader as ReaderChoice;
  if (values.formats) env.LPR_PLATE_FORMATS = values.formats;
  process.env.LOG_LEVEL ??= 'warn';
  let samples = await loadOpenAlprDir(positionals[0]!);
  if (values.limit) samples = samples.slice(0, Number(values.limit));
  if (samples.length === 0) {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `no annotated images (NAME.jpg + NAME.txt) in ${positionals[0]}`,
    );
  }
  const recognizer = await createOnnxRecognizer(env);
  try {
    await recognizer.warmup();
    const outcomes: SampleOutcome[] = [];
    for (const s of samples) {
      const img = await readFile(s.imagePath);
      const mime = /\.png$/i.test(s.imagePath) ? 'image/png' : 'image/jpeg';
      const cpu0 = process.cpuUsage();
      const result = await recognizer.recognize({ id: s.name, camera: 'eval', ts: Date.now(), mime, img });
      const cpu = process.cpuUsage(cpu0);
      // CPU time of the whole process (all onnxruntime threads): a load-independent cost per photo.
      const o = scoreSample(s, {
        ...result,
        timings: { ...result.timings, cpu: Math.round((cpu.user + cpu.system) / 100) / 10 },
      });
      outcomes.push(o);
      if (values.verbose) {
        const mark = o.exact ? 'ok  ' : o.oneChar ? '~1  ' : 'MISS';
        const cands = result.candidates.map((c) => `${c.text}:${c.confidence}`).join(' ');
        process.stderr.write(
          `${mark} ${s.name.padEnd(14)} truth=${o.truth.padEnd(9)} got=${o.plate.padEnd(9)} det=${o.detected ? 'y' : 'n'} ${Math.round(result.timings.total ?? 0)}ms  [${cands}]\n`,
        );
      }
    }
    const summary = summarise(outcomes, recognizer.id);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
      const lines = [
        `model            ${summary.model}`,
        `images           ${summary.images}`,
        `exact            ${pct(summary.exact)}`,
        `<=1 char         ${pct(summary.oneChar)}`,
        `detection recall ${pct(summary.detRecall)} (IoU >= 0.4)`,
        `false plates/img ${summary.falsePlatesPerImage.toFixed(2)}`,
        'ms per stage     median / p95',
        ...Object.keys(summary.medianMs).map(
          (k) => `  ${k.padEnd(14)} ${summary.medianMs[k]} / ${summary.p95Ms[k]}`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } finally {
    await recognizer.close();
  }
}

// Run directly (npm run eval) but stay importable.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await run(process.argv.slice(2));
}
