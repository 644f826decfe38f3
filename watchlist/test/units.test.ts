import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { readWatchlistConfig } from '../config.ts';
import { deletions, FuzzyIndex, levenshtein } from '../fuzzy-index.ts';
import { LocalCache } from '../local-cache.ts';
import { readNotifierConfig } from '../../alerts/notifier-config.ts';
import { normalisePlate } from '../../shared/plate-text.ts';

describe('fuzzy index', () => {
  it('finds plates within the distance, nearest first, and agrees with a full scan', () => {
    const plates = ['AB123CD', 'AB123CE', 'XY9', 'B123CD', 'ZZ0000'];
    const idx = new FuzzyIndex(plates, 2);
    expect(idx.search('AB123CD', 1)).toEqual([
      { plate: 'AB123CE', distance: 1 },
      { plate: 'B123CD', distance: 1 },
    ]);
    expect(idx.search('BA123CD', 1)).toEqual([{ plate: 'B123CD', distance: 1 }]); // a swap costs 2
    // Cross-check against brute force for random strings.
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = 'AB12';
    const word = () =>
      Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => alphabet[Math.floor(rnd() * 4)]).join('');
    const list = [...new Set(Array.from({ length: 200 }, word))];
    const big = new FuzzyIndex(list, 2);
    for (let i = 0; i < 200; i++) {
      const q = word();
      for (const d of [1, 2]) {
        const expected = list.filter((p) => p !== q && levenshtein(q, p) <= d).sort();
        expect(
          big
            .search(q, d)
            .map((c) => c.plate)
            .sort(),
        ).toEqual(expected);
      }
    }
  });

  it('computes deletion neighbourhoods and edit distances', () => {
    expect([...deletions('ABC', 1)].sort()).toEqual(['AB', 'ABC', 'AC', 'BC']);
    expect(levenshtein('KITTEN', 'SITTING')).toBe(3);
    expect(levenshtein('KITTEN', 'SITTING', 1)).toBe(2);
    expect(normalisePlate(' ab-12.3 cd ')).toBe('AB123CD');
  });
});

describe('local cache', () => {
  it('evicts the least recently used entry and honours deadlines', () => {
    const c = new LocalCache<number>(2);
    c.set('a', 1, 1000, 0);
    c.set('b', 2, 1000, 0);
    expect(c.get('a', 1)).toBe(1); // a is now the most recent
    c.set('c', 3, 1000, 1);
    expect(c.get('b', 2)).toBeUndefined();
    expect(c.get('a', 2)).toBe(1);
    expect(c.get('c', 1001)).toBeUndefined();
  });
});

describe('configuration', () => {
  it('reports every bad variable at once', () => {
    const r = new EnvReader({
      DATABASE_URL: 'mysql://x',
      WATCHLIST_FUZZY_DISTANCE: '5',
      NOTIFIER_SECRET: 'short',
      LPR_WEBHOOK_URL: 'nope',
    });
    readWatchlistConfig(r);
    readNotifierConfig(r);
    const err = (() => {
      try {
        r.finish();
      } catch (e) {
        return e;
      }
    })();
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    const msg = (err as Error).message;
    for (const name of ['DATABASE_URL', 'WATCHLIST_FUZZY_DISTANCE', 'NOTIFIER_SECRET', 'LPR_WEBHOOK_URL']) {
      expect(msg).toContain(name);
    }
  });
});
