import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlatestreamError } from '../../shared/errors.ts';
import { recognizerConfigFromEnv } from '../config.ts';
import { loadModel, verifyModelFile } from '../loader.ts';
import { findModel, type ModelEntry } from '../manifest.ts';
import { modelPath } from '../paths.ts';

const cct = findModel('cct-xs-v1-global')!;
const rec = findModel('ppocr-v4-rec')!;

describe('model loader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lpr-models-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('names the missing optional file and how to pull it', async () => {
    const err = await verifyModelFile(cct, dir).catch((e) => e);
    expect(isPlatestreamError(err, 'MODEL_INVALID')).toBe(true);
    expect(err.message).toContain(join(dir, 'cct_xs_v1_global.onnx'));
    expect(err.message).toContain('platestream models pull cct-xs-v1-global');
  });

  it('rejects a file with the wrong sha256, naming both checksums', async () => {
    await writeFile(join(dir, cct.file), 'definitely not a model');
    const err = await verifyModelFile(cct, dir).catch((e) => e);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toContain(cct.sha256);
    expect(err.message).toContain('sha256');
  });

  it('rejects a model whose tensors do not match the manifest', async () => {
    // The real PP-OCRv4 recogniser, described with the plate reader's input contract.
    await copyFile(modelPath(rec, dir), join(dir, 'wrong.onnx'));
    const wrong: ModelEntry = {
      ...rec,
      id: 'wrong-shape',
      file: 'wrong.onnx',
      source: { type: 'download', url: 'http://x' },
      input: { name: 'x', dtype: 'uint8', shape: [null, 64, 128, 3] },
    };
    const err = await loadModel(wrong, dir, { threads: 1 }).catch((e) => e);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/model wrong-shape: input "x" has type float32/);
  });

  it('loads the registry models with matching sha256 and shapes', async () => {
    const m = await loadModel(findModel('ppocr-v4-det')!, dir, { threads: 1 });
    expect(m.session.inputNames).toEqual(['x']);
    await m.session.release();
  });
});

describe('recogniser configuration', () => {
  it('has per-user defaults', () => {
    const c = recognizerConfigFromEnv({ HOME: '/home/u', XDG_CACHE_HOME: '/home/u/.cache' });
    expect(c.modelDir).toBe('/home/u/.cache/platestream/models');
    expect(c.reader).toBe('auto');
    expect(c.detSize).toBe(960);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('runs one intra-op thread per recogniser thread, and min(4, cores) without recogniser threads', () => {
    const cores = availableParallelism();
    const pooled = recognizerConfigFromEnv({ LPR_RECOGNIZER_THREADS: '2' });
    expect(pooled).toMatchObject({ recognizerThreads: 2, threads: 1 });
    const single = recognizerConfigFromEnv({ LPR_RECOGNIZER_THREADS: '1' });
    expect(single).toMatchObject({ recognizerThreads: 1, threads: Math.min(4, cores) });
    expect(recognizerConfigFromEnv({}).recognizerThreads).toBe(Math.min(8, cores));
    expect(recognizerConfigFromEnv({ LPR_RECOGNIZER_THREADS: '2', LPR_THREADS: '3' }).threads).toBe(3);
  });

  it('reports every bad variable at once', () => {
    let err: unknown;
    try {
      recognizerConfigFromEnv({
        LPR_THREADS: 'many',
        LPR_RECOGNIZER_THREADS: '0',
        LPR_DET_SIZE: '10',
        LPR_READER: 'tesseract',
        LPR_PLATE_FORMATS: 'gb,??',
        LPR_CAMERA_FORMATS: 'cam1=LLL9999;broken',
        LPR_PLATE_CROPS: '0.2x1.2,big',
        LPR_DET_COARSE_SIZE: 'small',
        LPR_PLATE_MIN_CHAR: '0.5',
        LPR_DET_FALLBACK_BELOW: '2',
        LPR_PLATE_CROPS_TOP: '-1',
      });
    } catch (e) {
      err = e;
    }
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    const msg = (err as Error).message;
    for (const name of [
      'LPR_THREADS',
      'LPR_RECOGNIZER_THREADS',
      'LPR_DET_SIZE',
      'LPR_READER',
      'LPR_PLATE_FORMATS',
      'LPR_CAMERA_FORMATS',
      'LPR_PLATE_CROPS',
      'LPR_DET_COARSE_SIZE',
      'LPR_PLATE_MIN_CHAR',
      'LPR_DET_FALLBACK_BELOW',
      'LPR_PLATE_CROPS_TOP',
    ]) {
      expect(msg).toContain(name);
    }
  });

  it('reads coarse-to-fine as auto by default, a side, or 0 for off, with its fallback and crop settings', () => {
    const d = recognizerConfigFromEnv({});
    expect([d.detCoarseSize, d.plateMinChar, d.detFallbackBelow, d.plateCropsTop]).toEqual([
      'auto',
      0.02,
      0.95,
      1,
    ]);
    const c = recognizerConfigFromEnv({
      LPR_DET_COARSE_SIZE: '640',
      LPR_PLATE_MIN_CHAR: '0.03',
      LPR_DET_FALLBACK_BELOW: '0',
      LPR_PLATE_CROPS_TOP: '3',
    });
    expect([c.detCoarseSize, c.plateMinChar, c.detFallbackBelow, c.plateCropsTop]).toEqual([640, 0.03, 0, 3]);
    expect(recognizerConfigFromEnv({ LPR_DET_COARSE_SIZE: '0' }).detCoarseSize).toBe(0);
    expect(() => recognizerConfigFromEnv({ LPR_DET_COARSE_SIZE: '100' })).toThrow(/LPR_DET_COARSE_SIZE/);
  });

  it('parses per-camera formats and crop variants', () => {
    const c = recognizerConfigFromEnv({
      LPR_CAMERA_FORMATS: 'gate-1=gb; gate-2=LLL9999,LLL9L99',
      LPR_PLATE_CROPS: '0.2x1.3',
    });
    expect(c.cameraFormats).toEqual({ 'gate-1': ['gb'], 'gate-2': ['LLL9999', 'LLL9L99'] });
    expect(c.plateCrops).toEqual([[0.2, 1.3]]);
  });
});
