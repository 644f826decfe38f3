import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { alertFieldList, alertPayload, alertWrite, decodeAlert } from '../alert.ts';
import { readWatchlistConfig } from '../config.ts';
import { deletions, FuzzyIndex, levenshtein } from '../fuzzy-index.ts';
import { LocalCache } from '../local-cache.ts';
import { attemptsFor, backoffDelay } from '../notifier/backoff.ts';
import { readNotifierConfig } from '../notifier/config.ts';
import { sign, verify } from '../notifier/signature.ts';
import { normalizePlate } from '../plate.ts';

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
    expect(normalizePlate(' ab-12.3 cd ')).toBe('AB123CD');
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

describe('notifier backoff and signature', () => {
  it('keeps retrying for at least the configured span, with jittered capped delays', () => {
    const base = 1000;
    const max = 15 * 60_000;
    const n = attemptsFor(24 * 3600_000, base, max);
    let shortest = 0;
    let longest = 0;
    for (let a = 1; a < n; a++) {
      shortest += backoffDelay(a, base, max, () => 0);
      longest += backoffDelay(a, base, max, () => 1);
    }
    expect(shortest).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(longest).toBeLessThanOrEqual(2 * 24 * 3600_000 + 2 * max);
    expect(backoffDelay(30, base, max, () => 0.5)).toBeLessThanOrEqual(max);
    expect(backoffDelay(1, base, max, () => 0)).toBe(500);
  });

  it('signs the timestamp and body; verification rejects tampering and stale timestamps', () => {
    const h = sign('s3cret-s3cret-s3cret', '{"a":1}', 1000);
    expect(verify('s3cret-s3cret-s3cret', '{"a":1}', h, 60_000, 2000)).toBe(true);
    expect(verify('s3cret-s3cret-s3cret', '{"a":2}', h, 60_000, 2000)).toBe(false);
    expect(verify('other-secret-000000', '{"a":1}', h, 60_000, 2000)).toBe(false);
    expect(verify('s3cret-s3cret-s3cret', '{"a":1}', h, 60_000, 1000 + 120_000)).toBe(false);
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

describe('alert payload', () => {
  it('carries the hit, the frame and the result, and reads back from stream fields', () => {
    const hit = {
      status: 'hit' as const,
      fuzzy: true,
      distance: 1,
      plate: 'AB128CD',
      entry: {
        id: '42',
        plate: 'AB123CD',
        label: 'stolen',
        expiresAt: null,
        webhook: 'https://example.org/h',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    };
    const a = alertPayload(
      hit,
      { id: '1700000000000-3', camera: 'gate-1', ts: 1_700_000_000_000 },
      { plate: 'AB128CD', confidence: 0.8 },
    );
    expect(a).toEqual({
      plate: 'AB128CD',
      watchPlate: 'AB123CD',
      camera: 'gate-1',
      ts: '1700000000000',
      frame: '1700000000000-3',
      entry: '42',
      label: 'stolen',
      fuzzy: '1',
      distance: '1',
      confidence: '0.8',
      webhook: 'https://example.org/h',
    });
    expect(decodeAlert('1-0', alertFieldList(a))).toEqual(a);
    const w = alertWrite(new StreamKeys('lpr', '3'), a, { alertWindowMs: 60_000, alertsMaxLen: 1000 });
    expect(w.windowKey).toBe('lpr:{3}:alert-window:gate-1:AB123CD');
    expect(w.streamKey).toBe('lpr:{3}:alerts');
    expect(() => decodeAlert('2-0', ['plate', 'X'])).toThrow(
      /alert 2-0 lacks field\(s\) camera, ts, frame, entry/,
    );
  });
});
