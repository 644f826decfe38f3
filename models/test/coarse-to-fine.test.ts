import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recognizer } from '../../shared/recognizer.ts';
import { createOnnxRecognizer } from '../index.ts';
import { renderScene } from '../synthetic/index.ts';

const frame = (id: string, img: Buffer) => ({ id, camera: 'cam', ts: 0, mime: 'image/jpeg' as const, img });
const overlapShare = (
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
) => {
  const w = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  return (w * h) / (b.w * b.h);
};

/** LPR_DET_COARSE_SIZE: HD frames detected coarse, small text lines again at full resolution. */
describe('coarse-to-fine detection (LPR_DET_COARSE_SIZE)', () => {
  let single: Recognizer;
  let c2f: Recognizer;
  beforeAll(async () => {
    const env = { ...process.env, LPR_THREADS: '1', LPR_READER: 'ppocr' };
    single = await createOnnxRecognizer(env);
    c2f = await createOnnxRecognizer({ ...env, LPR_DET_COARSE_SIZE: '640' });
    await Promise.all([single.warmup(), c2f.warmup()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([single.close(), c2f.close()]);
  });

  it('finds the plate of a 1080p frame where it is, and names the two sizes in the model id', async () => {
    const scene = await renderScene({ seed: 'c2f-1', width: 1920, height: 1080, charHeight: [28, 34], distortion: 0.3 });
    const res = await c2f.recognize(frame('1-0', scene.image));
    expect(c2f.id).toMatch(/^ppocr-v4-det@640>960\+/);
    expect(res.width).toBe(1920);
    const best = res.candidates.find((c) => overlapShare(c.box, scene.box) > 0.5);
    expect(best, JSON.stringify({ truth: scene.box, got: res.candidates.map((c) => c.box) })).toBeDefined();
  });

  it('detects frames up to 1024 px in one pass, exactly as without it', async () => {
    const scene = await renderScene({ seed: 'c2f-2', width: 640, height: 480, distortion: 0.3 });
    const a = await single.recognize(frame('2-0', scene.image));
    const b = await c2f.recognize(frame('3-0', scene.image));
    expect(b.plate).toBe(a.plate);
    expect(b.candidates.map((c) => c.box)).toEqual(a.candidates.map((c) => c.box));
  });
});
