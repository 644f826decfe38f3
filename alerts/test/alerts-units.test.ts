import { describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { alertFieldList, alertPayload, decodeAlert } from '../alert-codec.ts';
import { alertScriptArgs, alertToWrite } from '../alert-write.ts';
import { attemptsFor, backoffDelay } from '../backoff.ts';
import { sign, verify } from '../signature.ts';

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
    const w = alertScriptArgs(
      new StreamKeys('lpr', '3'),
      alertToWrite(a, { windowMs: 60_000, maxLen: 1000, source: 'frames' }),
    );
    // The window is per camera and WATCHED plate, so fuzzy misreads of one vehicle share it.
    expect(w.windowKey).toBe('lpr:{3}:alert-window:gate-1:AB123CD');
    expect(w.args).toEqual(['60000', '1000', ...alertFieldList(a)]);
    expect(alertScriptArgs(new StreamKeys('lpr'), undefined)).toEqual({
      windowKey: 'lpr:alerts',
      args: ['0'],
    });
    expect(() => decodeAlert('2-0', ['plate', 'X'])).toThrow(
      /alert 2-0 lacks field\(s\) camera, ts, frame, entry/,
    );
  });
});
