import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlatestreamError } from '../../shared/errors.ts';
import type { Recognizer } from '../../shared/recognizer.ts';
import { iou } from '../geometry/quad.ts';
import { RoiPlateDetector } from '../detect/roi-detector.ts';
import { createOnnxRecognizer } from '../index.ts';
import { craftPlateJpeg } from './crafted.ts';

const modelDir = process.env.LPR_MODEL_DIR ?? '';
const hasCct = modelDir !== '' && existsSync(join(modelDir, 'cct_xs_v1_global.onnx'));
const env = { ...process.env, LPR_RECOGNIZER_THREADS: '1', LPR_THREADS: '1' };

const frame = (id: string, img: Buffer, camera = 'cam-test') => ({
  id,
  camera,
  ts: 0,
  mime: 'image/jpeg' as const,
  img,
});

if (!hasCct)
  console.warn(
    `[models] CCT plate-reader tests SKIPPED: LPR_MODEL_DIR=${modelDir || '(unset)'} has no cct_xs_v1_global.onnx`,
  );

describe('ONNX recogniser with the registry-only default (PP-OCRv4 det + rec)', () => {
  let r: Recognizer;
  beforeAll(async () => {
    r = await createOnnxRecognizer({ ...env, LPR_READER: 'ppocr' });
    await r.warmup();
  }, 60_000);
  afterAll(() => r.close());

  it('reads a crafted plate, ignores the sign, and reports its box, timings and model', async () => {
    const { img, box } = await craftPlateJpeg({ text: 'KX58 PLT', sign: 'Parking Exit 3' });
    const res = await r.recognize(frame('1-0', img));
    expect(res.plate).toBe('KX58PLT');
    expect(res.confidence).toBeGreaterThan(0.5);
    expect(iou(res.box!, box)).toBeGreaterThan(0.4);
    expect(res.model).toBe('ppocr-v4-det@auto2%>960+ppocr-v4-rec');
    expect(Object.keys(res.timings)).toEqual(
      expect.arrayContaining(['decode', 'detect', 'read', 'choose', 'total']),
    );
    expect(res.candidates[0]!.charConfidences).toHaveLength(7);
    expect(res.width).toBe(640);
  });

  it('applies per-camera format rules with position-aware corrections', async () => {
    const formats = await createOnnxRecognizer({
      ...env,
      LPR_READER: 'ppocr',
      LPR_CAMERA_FORMATS: 'gate-1=LLL9999',
    });
    try {
      await formats.warmup();
      // "8" where the format wants a letter and "S" where it wants a digit: both corrected for gate-1 only.
      const { img } = await craftPlateJpeg({ text: 'AB8 12S4' });
      const plain = await formats.recognize(frame('2-0', img, 'other'));
      expect(plain.plate).toBe('AB812S4');
      expect(plain.candidates[0]!.format).toBeUndefined();
      const gate = await formats.recognize(frame('2-1', img, 'gate-1'));
      expect(gate.plate).toBe('ABB1254');
      expect(gate.candidates[0]!.format).toBe('LLL9999');
    } finally {
      await formats.close();
    }
  });

  it('takes a plugged-in plate detector: its boxes are read as plates, without growing', async () => {
    const { img, box } = await craftPlateJpeg({ text: 'KX58 PLT', sign: 'Parking Exit 3' });
    const roi = new RoiPlateDetector({ x: box.x / 640, y: box.y / 480, w: box.w / 640, h: box.h / 480 });
    const plugged = await createOnnxRecognizer({ ...env, LPR_READER: 'ppocr' }, {}, undefined, {
      detector: roi,
    });
    try {
      await plugged.warmup();
      expect(plugged.id).toBe('roi+ppocr-v4-rec');
      const res = await plugged.recognize(frame('6-0', img));
      expect(res.plate).toBe('KX58PLT');
      expect(res.box).toEqual(box);
      expect(res.candidates).toHaveLength(1);
    } finally {
      await plugged.close();
    }
  });

  it('returns an empty plate for a frame without text', async () => {
    const { img } = await craftPlateJpeg({ text: '', plate: { x: 0, y: 0, w: 1, h: 1 } });
    const res = await r.recognize(frame('3-0', img));
    expect(res.plate).toBe('');
    expect(res.confidence).toBe(0);
    expect(res.candidates).toEqual([]);
  });

  it('rejects undecodable bytes with IMAGE_INVALID naming the frame', async () => {
    const err = await r
      .recognize(frame('1700000000000-7', Buffer.from('not an image at all')))
      .catch((e) => e);
    expect(isPlatestreamError(err, 'IMAGE_INVALID')).toBe(true);
    expect(err.message).toContain('1700000000000-7');
  });

  it('close() is idempotent and later frames are refused', async () => {
    const other = await createOnnxRecognizer({ ...env, LPR_READER: 'ppocr' });
    await other.warmup();
    const a = other.close();
    expect(other.close()).toBe(a);
    await a;
    const { img } = await craftPlateJpeg({ text: 'AB123' });
    await expect(other.recognize(frame('4-0', img))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});

describe('ONNX recogniser with the CCT plate reader', () => {
  it.skipIf(!hasCct)(
    hasCct
      ? 'reads crafted plates, straight and rotated'
      : `reads crafted plates (SKIPPED: LPR_MODEL_DIR=${modelDir || '(unset)'} has no cct_xs_v1_global.onnx; run "platestream models pull cct-xs-v1-global")`,
    async () => {
      const r = await createOnnxRecognizer({ ...env, LPR_READER: 'cct' });
      try {
        await r.warmup();
        expect(r.id).toBe('ppocr-v4-det@auto2%>960+cct-xs-v1-global');
        for (const [text, rotate] of [
          ['KX58PLT', 0],
          ['B 4417 ZN', 7],
        ] as const) {
          const { img, box } = await craftPlateJpeg({ text, rotate, sign: 'Exit 12' });
          const res = await r.recognize(frame(`5-${rotate}`, img));
          expect(res.plate).toBe(text.replace(/ /g, ''));
          expect(iou(res.box!, box)).toBeGreaterThan(0.4);
          expect(res.model).toBe(r.id);
        }
      } finally {
        await r.close();
      }
    },
  );
});
