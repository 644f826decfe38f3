import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlatestreamError } from '../../shared/errors.ts';
import { deriveSeed, type Seed } from './prng.ts';
import { renderScene, type SceneOptions, type SceneResult } from './render.ts';

export interface SetOptions extends Omit<SceneOptions, 'seed' | 'text' | 'withoutPlate' | 'format'> {
  count: number;
  seed: Seed;
  /** File name stem; images are named `<prefix>-0001` etc. Default `synth`. */
  prefix?: string;
  /** Index of the first image (default 0): a set can be extended or split without changing its images. */
  start?: number;
}

export interface SetItem extends SceneResult {
  /** Position in the set, from `start`. */
  index: number;
  /** File name stem, e.g. `synth-0007`. */
  name: string;
}

export const MAX_SET_COUNT = 1_000_000;

function checkSet(o: SetOptions): void {
  if (!Number.isInteger(o.count) || o.count < 0 || o.count > MAX_SET_COUNT) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `count must be an integer from 0 to ${MAX_SET_COUNT}, got ${o.count}`,
    );
  }
  if (o.start !== undefined && (!Number.isInteger(o.start) || o.start < 0)) {
    throw new PlatestreamError('CONFIG_INVALID', `start must be a non-negative integer, got ${o.start}`);
  }
  if (o.prefix !== undefined && !/^[A-Za-z0-9_.-]{1,40}$/.test(o.prefix)) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `prefix "${o.prefix}" must be 1-40 characters of A-Z, a-z, 0-9, _ . -`,
    );
  }
}

/** Seed of the i-th image of a set: each image depends only on (set seed, index). */
export function itemSeed(seed: Seed, index: number): number {
  return deriveSeed(seed, `item-${index}`);
}

export function itemName(prefix: string, index: number): string {
  return `${prefix}-${String(index + 1).padStart(4, '0')}`;
}

/** Renders `count` images one after another. */
export async function* generateSet(opts: SetOptions): AsyncGenerator<SetItem> {
  checkSet(opts);
  const { count, seed, prefix = 'synth', start = 0, ...scene } = opts;
  for (let i = start; i < start + count; i++) {
    const r = await renderScene({ ...scene, seed: itemSeed(seed, i) });
    yield { ...r, index: i, name: itemName(prefix, i) };
  }
}

/** One line of an OpenALPR benchmark annotation: `NAME.jpg\tx\ty\tw\th\tPLATE`. */
export function annotationLine(file: string, item: Pick<SceneResult, 'box' | 'text'>): string {
  const { x, y, w, h } = item.box;
  return `${file}\t${x}\t${y}\t${w}\t${h}\t${item.text}\n`;
}

export interface WriteResult {
  dir: string;
  count: number;
  files: string[];
}

/**
 * Writes `NAME.jpg` + `NAME.txt` pairs in the OpenALPR benchmark layout, so `npm run eval -- <dir>` reads
 * the folder like the real benchmark. Existing files of the same names are overwritten.
 */
export async function writeDataset(
  dir: string,
  opts: SetOptions,
  onItem?: (item: SetItem) => void,
): Promise<WriteResult> {
  checkSet(opts);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for await (const item of generateSet(opts)) {
    const jpg = `${item.name}.jpg`;
    await writeFile(join(dir, jpg), item.image);
    await writeFile(join(dir, `${item.name}.txt`), annotationLine(jpg, item));
    files.push(jpg);
    onItem?.(item);
  }
  return { dir, count: files.length, files };
}
