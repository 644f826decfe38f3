import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recognizer } from '../../shared/recognizer.ts';
import { createOnnxRecognizer } from '../index.ts';
import { generateSet } from '../synthetic/index.ts';

/**
 * Issue 4 §4: the recogniser reads a fixed seeded synthetic set (≥ 95 % exact) with each reader.
 * 640x480 frames, default distortion (blur, noise, lighting, slight rotation, JPEG 55-95).
 */
const COUNT = 40;
const SEED = 'ci-synthetic-v1';
const modelDir = process.env.LPR_MODEL_DIR ?? '';
const hasCct = modelDir !== '' && existsSync(join(modelDir, 'cct_xs_v1_global.onnx'));
if (!hasCct) {
  console.warn(
    `[models] synthetic-set test with the CCT reader SKIPPED: LPR_MODEL_DIR=${modelDir || '(unset)'} has no cct_xs_v1_global.onnx`,
  );
}

async function readSet(r: Recognizer): Promise<{ exact: number; misses: string[] }> {
  let exact = 0;
  const misses: string[] = [];
  for await (const item of generateSet({ count: COUNT, seed: SEED, width: 640, height: 480 })) {
    const res = await r.recognize({
      id: item.name,
      camera: 'synth',
      ts: 0,
      mime: 'image/jpeg',
      img: item.image,
    });
    if (res.plate === item.text) exact++;
    else misses.push(`${item.name}: ${item.text} read as ${res.plate || '(none)'}`);
  }
  return { exact, misses };
}

describe.each([
  { reader: 'ppocr', skip: false },
  { reader: 'cct', skip: !hasCct },
])('synthetic seeded set with the $reader reader', ({ reader, skip }) => {
  let r: Recognizer;
  beforeAll(async () => {
    if (skip) return;
    r = await createOnnxRecognizer({
      ...process.env,
      LPR_READER: reader,
      LPR_RECOGNIZER_THREADS: '1',
      LPR_THREADS: '1',
    });
    await r.warmup();
  }, 60_000);
  afterAll(() => r?.close());

  it.skipIf(skip)(
    `reads ≥ 95 % of ${COUNT} synthetic plates exactly${skip ? ' (SKIPPED: no CCT model in LPR_MODEL_DIR)' : ''}`,
    async () => {
      const { exact, misses } = await readSet(r);
      expect(exact / COUNT, misses.join('\n')).toBeGreaterThanOrEqual(0.95);
    },
    120_000,
  );
});
