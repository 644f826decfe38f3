import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../eval-cli.ts';
import { editDistance, loadOpenAlprDir, parseAnnotation, percentile } from '../eval/openalpr.ts';

const evalDir = process.env.LPR_EVAL_DIR ?? '';
const hasData = evalDir !== '' && existsSync(evalDir);
const hasCct = existsSync(join(process.env.LPR_MODEL_DIR ?? '/nonexistent', 'cct_xs_v1_global.onnx'));

if (!hasData) console.warn('[models] eval smoke test SKIPPED: LPR_EVAL_DIR is unset or missing');

describe('eval helpers', () => {
  it('parses OpenALPR annotation lines', () => {
    expect(parseAnnotation('eu1.jpg\t396\t340\t203\t46\tM5 XSX')).toEqual({
      file: 'eu1.jpg',
      box: { x: 396, y: 340, w: 203, h: 46 },
      plate: 'M5XSX',
    });
    expect(parseAnnotation('')).toBeUndefined();
    expect(parseAnnotation('a.jpg x 1 2 3 P')).toBeUndefined();
  });

  it('edit distance and percentiles', () => {
    expect(editDistance('RK099AN', 'RKO99AN')).toBe(1);
    expect(editDistance('ABC', 'ABCD')).toBe(1);
    expect(editDistance('ABC', 'ABC')).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });
});

describe('eval smoke on real photos', () => {
  it.skipIf(!hasData)(
    hasData
      ? `first 10 photos of LPR_EVAL_DIR: exact accuracy above a sane floor (${hasCct ? 'CCT reader' : 'PP-OCRv4 reader'})`
      : 'eval smoke (SKIPPED: LPR_EVAL_DIR is unset or missing)',
    async () => {
      expect((await loadOpenAlprDir(evalDir)).length).toBeGreaterThanOrEqual(10);
      const lines: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => {
        lines.push(String(chunk));
        return true;
      }) as typeof process.stdout.write;
      let code: number;
      try {
        code = await run([evalDir, '--json', '--limit', '10']);
      } finally {
        process.stdout.write = write;
      }
      expect(code).toBe(0);
      const summary = JSON.parse(lines.join(''));
      expect(summary.images).toBe(10);
      // Measured on openalpr-eu: CCT 92.6 %, PP-OCRv4 78.7 % over 108 photos; floors leave room for noise.
      expect(summary.exact).toBeGreaterThanOrEqual(hasCct ? 0.7 : 0.4);
      expect(summary.detRecall).toBeGreaterThanOrEqual(0.8);
      expect(Object.keys(summary)).toEqual(
        expect.arrayContaining(['images', 'exact', 'oneChar', 'detRecall', 'medianMs', 'p95Ms', 'model']),
      );
    },
    120_000,
  );
});
