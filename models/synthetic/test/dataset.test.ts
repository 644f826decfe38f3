import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { exitCodeFor } from '../../../shared/cli/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli.ts';
import { generateSet, writeDataset } from '../dataset.ts';
import { demoFrames } from '../demo-set.ts';
import { PLATE_STYLES } from '../plate-styles.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'platestream-synth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LINE_RE = /^([\w.-]+\.jpg)\t(\d+)\t(\d+)\t(\d+)\t(\d+)\t([A-Z0-9]+)\n$/;

describe('datasets', () => {
  it('writes NAME.jpg + NAME.txt in the OpenALPR benchmark layout, matching the set', async () => {
    const out = join(dir, 'set');
    const res = await writeDataset(out, { count: 3, seed: 99, style: ['eu', 'us'] });
    expect(res.files).toEqual(['synth-0001.jpg', 'synth-0002.jpg', 'synth-0003.jpg']);
    expect((await readdir(out)).sort()).toEqual([
      'synth-0001.jpg',
      'synth-0001.txt',
      'synth-0002.jpg',
      'synth-0002.txt',
      'synth-0003.jpg',
      'synth-0003.txt',
    ]);
    let i = 0;
    for await (const item of generateSet({ count: 3, seed: 99, style: ['eu', 'us'] })) {
      const jpg = await readFile(join(out, `${item.name}.jpg`));
      expect(Buffer.compare(jpg, item.image)).toBe(0);
      const line = await readFile(join(out, `${item.name}.txt`), 'utf8');
      const m = LINE_RE.exec(line);
      expect(m, line).not.toBeNull();
      expect(m!.slice(1).join(' ')).toBe(
        `${item.name}.jpg ${item.box.x} ${item.box.y} ${item.box.w} ${item.box.h} ${item.text}`,
      );
      expect(['eu', 'us']).toContain(item.style);
      const meta = await sharp(jpg).metadata();
      expect(Number(m![2]) + Number(m![4])).toBeLessThanOrEqual(meta.width!);
      expect(Number(m![3]) + Number(m![5])).toBeLessThanOrEqual(meta.height!);
      i++;
    }
    expect(i).toBe(3);
  });

  it('makes each image depend only on the set seed and its index', async () => {
    const all: Buffer[] = [];
    for await (const item of generateSet({ count: 3, seed: 'abc', width: 320, height: 240 }))
      all.push(item.image);
    const tail: { name: string; image: Buffer }[] = [];
    for await (const item of generateSet({ count: 1, start: 2, seed: 'abc', width: 320, height: 240 }))
      tail.push(item);
    expect(tail[0]!.name).toBe('synth-0003');
    expect(Buffer.compare(tail[0]!.image, all[2]!)).toBe(0);
  });

  it('gives a demo set with every style', async () => {
    const frames = await demoFrames({ count: 4, width: 320, height: 240 });
    expect(frames.map((f) => f.style)).toEqual([...PLATE_STYLES]);
    expect(await demoFrames({ count: 4, width: 320, height: 240 })).toBe(frames);
  });
});

describe('platestream synth', () => {
  it('writes the requested images and tells how to evaluate them', async () => {
    const out = join(dir, 'cli');
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => {
      chunks.push(String(s));
      return true;
    }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await run([
        out,
        '--count',
        '2',
        '--seed',
        '5',
        '--style',
        'eu-yellow',
        '--width',
        '400',
        '--height',
        '300',
        '--quiet',
      ]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect(chunks.join('')).toContain(`npm run eval -- ${out}`);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['synth-0001.jpg', 'synth-0001.txt', 'synth-0002.jpg', 'synth-0002.txt']);
    expect(await sharp(join(out, 'synth-0001.jpg')).metadata()).toMatchObject({ width: 400, height: 300 });
  });

  it('rejects bad options as one usage error (exit 2) naming each', async () => {
    const err = await run([join(dir, 'bad'), '--count', 'many', '--style', 'round', '--pattern', 'LLX']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(exitCodeFor(err)).toBe(2);
    expect((err as Error).message).toContain('--count');
    expect((err as Error).message).toContain('--style round');
  });
});
