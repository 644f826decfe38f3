import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSequences } from '../../models/synthetic/sequences.ts';
import { silentLogger, type TestRedis, uniquePrefix, useRedis } from '../../test/harness/index.ts';
import { createRecognizer } from '../../worker/recognizers.ts';
import { evaluateEvents } from '../eval.ts';

let dir: string;
let redis: TestRedis;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'platestream-evev-'));
  redis = await useRedis();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await redis?.close();
});

describe('eval:events (real recogniser, real Redis)', () => {
  it('scores the events of a small sequence set against its truth', async () => {
    const truth = await writeSequences(dir, { sequences: 2, seed: 31, cameras: 1 });
    const report = await evaluateEvents({
      dir,
      redis: redis.config(uniquePrefix('evev')),
      recognizer: await createRecognizer('onnx', undefined),
      pace: false,
      concurrency: 2,
      events: { idleFlushMs: 1000 },
      logger: silentLogger,
      timeoutMs: 240_000,
    });
    expect(report.vehicles).toBe(2);
    expect(report.frames).toBe(truth.frames.length);
    expect(report.passes.map((p) => p.plate)).toEqual(truth.passes.map((p) => p.plate));
    // Every event is either matched to a pass or false, and every pass is matched or missed.
    const matched = report.passes.reduce((n, p) => n + p.events.length, 0);
    expect(matched + report.falseEvents).toBe(report.events);
    expect(report.passes.filter((p) => p.events.length === 0).length).toBe(report.missedVehicles);
    expect(report.eventExact).toBe(
      report.passes.filter((p) => p.events.length === 1 && p.events[0] === p.plate).length / 2,
    );
    // Every pass not read exactly and every false event is listed, with its events' reads.
    const notExact = report.passes.filter((p) => !(p.events.length === 1 && p.events[0] === p.plate));
    expect(report.problems.filter((p) => p.kind !== 'false').map((p) => p.truth)).toEqual(
      notExact.map((p) => p.plate),
    );
    expect(report.problems.filter((p) => p.kind === 'false')).toHaveLength(report.falseEvents);
    for (const p of report.problems) for (const e of p.events) expect(e.reads.length).toBeGreaterThan(0);
    expect(report.frameExact).toBeGreaterThan(0);
    expect(report.medianEventLatencyMs).toBeGreaterThan(0);
  }, 300_000);
});
