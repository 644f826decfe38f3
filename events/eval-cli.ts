import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EnvReader } from '../shared/config/env-reader.ts';
import { readRecognizerConfig } from '../models/config.ts';
import { createLogger } from '../shared/logger.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import { createRecognizer } from '../worker/recognizers.ts';
import { readTrackOptions } from '../worker/track-gate.ts';
import { evaluateEvents, evalRedisConfig } from './eval.ts';

const HELP = `usage: npm run eval:events -- <dir> [--json] [--details] [--no-pace] [--concurrency N]

Runs the real recogniser (LPR_MODEL_DIR, LPR_READER, ... as for the worker) and the events stage over a
sequence set written by "platestream synth <dir> --sequences N", through Redis as in production (REDIS_URL,
else a private redis-server), and prints vehicles, events, eventExact (passes whose single event carries the
true plate), frameExact (frames read exactly, for comparison), duplicateEvents, missedVehicles, falseEvents and
medianEventLatencyMs, with cpuMsPerFrame (this process's CPU per frame) and regionReads (frames read from a
tracked plate's predicted region: LPR_TRACK_REGION=true). Frames are sent at the set's frame rate unless --no-pace. --details also prints every
pass not read exactly (missed, wrong, duplicate) and every false event with the reads of its events (frame,
text, confidence; "-" = a frame of no vehicle); the JSON always has them under "problems".`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'no-pace': { type: 'boolean', default: false },
      details: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  const r = new EnvReader(process.env);
  const recognizerOptions = readRecognizerConfig(r, process.env);
  const track = readTrackOptions(r);
  r.finish();
  const server = process.env.REDIS_URL ? undefined : await RedisServerProcess.start();
  const url = process.env.REDIS_URL ?? server!.url;
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  try {
    const recognizer = await createRecognizer('onnx', recognizerOptions);
    const report = await evaluateEvents({
      dir: positionals[0]!,
      redis: evalRedisConfig(url, `eval-events-${randomUUID().slice(0, 8)}`),
      recognizer,
      pace: !values['no-pace'],
      track,
      ...(values.concurrency && { concurrency: Number(values.concurrency) }),
      logger,
      onProgress: values.json
        ? undefined
        : (done, total) => {
            if (done % 20 === 0 || done === total) process.stderr.write(`\r${done}/${total} frames read`);
          },
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    process.stderr.write('\n');
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    process.stdout.write(
      `vehicles ${report.vehicles}, events ${report.events}, frames ${report.frames}\n` +
        `eventExact ${pct(report.eventExact)}  frameExact ${pct(report.frameExact)}\n` +
        `duplicateEvents ${report.duplicateEvents}  missedVehicles ${report.missedVehicles}  falseEvents ${report.falseEvents}\n` +
        `medianEventLatencyMs ${report.medianEventLatencyMs}\n` +
        `cpuMsPerFrame ${report.cpuMsPerFrame}  regionReads ${report.regionReads}\n`,
    );
    if (values.details) {
      for (const p of report.problems) {
        const span = p.firstFrame ? ` ${p.firstFrame}..${p.lastFrame}` : '';
        process.stdout.write(`${p.kind.toUpperCase()} ${p.camera} truth ${p.truth || '-'}${span}\n`);
        for (const e of p.events) {
          const reads = e.reads
            .map((r) => `${r.frame}${r.pass < 0 ? '(-)' : ''}:${r.plate}@${r.confidence.toFixed(2)}`)
            .join(' ');
          process.stdout.write(`  event ${e.plate} ${e.confidence.toFixed(3)}: ${reads}\n`);
        }
      }
    }
    return 0;
  } finally {
    await server?.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
