import { describe, expect, it } from 'vitest';
import { decodeEvent, type EventRecord, encodeEvent } from '../codec/event-codec.ts';

describe('event codec', () => {
  it('round-trips every field', () => {
    const e: EventRecord = {
      event: 'cam-1:1700000000000:0',
      camera: 'cam-1',
      plate: 'AB123CD',
      confidence: 0.8125,
      frames: 3,
      firstTs: 1_700_000_000_000,
      lastTs: 1_700_000_000_300,
      bestFrame: '1700000000100-0',
      bestBox: { x: 1, y: 2, w: 3, h: 4 },
      alternatives: [{ plate: 'AB128CD', votes: 0.9 }],
      direction: 'leaving',
      watchlist: 'miss',
      results: [{ id: '1-0', frame: '2-0', ts: 1_700_000_000_000, plate: 'AB123CD', confidence: 0.9 }],
    };
    const fields = encodeEvent(e);
    const names = fields.filter((_, i) => i % 2 === 0);
    expect(names).toEqual([
      'event',
      'camera',
      'plate',
      'confidence',
      'frames',
      'first_ts',
      'last_ts',
      'best_frame',
      'best_box',
      'alternatives',
      'direction',
      'watchlist',
      'results',
    ]);
    expect(decodeEvent('9-0', fields)).toEqual({ ...e, id: '9-0' });
  });

  it('decodes an odd entry without throwing', () => {
    const e = decodeEvent('1-0', ['plate', 'X', 'best_box', '{oops', 'direction', 'sideways']);
    expect(e).toMatchObject({ plate: 'X', bestBox: undefined, direction: '', results: [], frames: 0 });
  });
});
