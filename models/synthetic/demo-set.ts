import { itemName, itemSeed, type SetItem } from './dataset.ts';
import { PLATE_STYLES } from './plate-styles.ts';
import type { Seed } from './prng.ts';
import { renderScene } from './render.ts';

export interface DemoSetOptions {
  /** Number of frames (default 12). */
  count?: number;
  /** Default 'platestream-demo': the same frames on every machine run. */
  seed?: Seed;
  width?: number;
  height?: number;
}

export const DEMO_SET_DEFAULTS = { count: 12, seed: 'platestream-demo', width: 640, height: 480 } as const;

const cache = new Map<string, Promise<SetItem[]>>();

/**
 * A small fixed set of demo frames, rendered in memory at run time (nothing is shipped or downloaded) and
 * cached per process. Styles take turns so that every look appears; frames are at most ~50 KB each.
 */
export function demoFrames(opts: DemoSetOptions = {}): Promise<SetItem[]> {
  const o = { ...DEMO_SET_DEFAULTS, ...opts };
  const key = `${o.count}|${String(o.seed)}|${o.width}|${o.height}`;
  let p = cache.get(key);
  if (!p) {
    p = render(o);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** The demo frames as plain images (name, bytes, type): what `replay --synthetic N` sends. */
export async function* demoImages(
  opts: DemoSetOptions = {},
): AsyncGenerator<{ name: string; img: Buffer; mime: SetItem['mime'] }> {
  for (const item of await demoFrames(opts)) yield { name: item.name, img: item.image, mime: item.mime };
}

async function render(o: Required<DemoSetOptions>): Promise<SetItem[]> {
  const items: SetItem[] = [];
  for (let i = 0; i < o.count; i++) {
    const style = PLATE_STYLES[i % PLATE_STYLES.length]!;
    const r = await renderScene({ seed: itemSeed(o.seed, i), style, width: o.width, height: o.height });
    items.push({ ...r, index: i, name: itemName('demo', i) });
  }
  return items;
}
