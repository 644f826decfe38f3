import { describe, expect, it } from 'vitest';
import { EVENTS_GROUP, eventsGroup, StreamKeys } from '../redis/keys.ts';

describe('StreamKeys', () => {
  it('builds the contract names', () => {
    const k = new StreamKeys();
    expect([k.frames, k.results, k.dlq, k.alerts]).toEqual([
      'lpr:frames',
      'lpr:results',
      'lpr:dlq',
      'lpr:alerts',
    ]);
  });
  it('names the events stage keys beside the results', () => {
    const k = new StreamKeys('lpr', '2');
    expect([k.events, k.eventsState, k.eventsLock, k.eventsByPlate, k.eventsByTime]).toEqual([
      'lpr:{2}:events',
      'lpr:{2}:events:state',
      'lpr:{2}:lock:events',
      'lpr:{2}:events:by-plate',
      'lpr:{2}:events:by-time',
    ]);
    expect(EVENTS_GROUP).toBe('events');
    expect([k.eventsPartitionState(0, 1), k.eventsPartitionLock(0, 1), eventsGroup(0, 1)]).toEqual([
      k.eventsState,
      k.eventsLock,
      'events',
    ]);
    expect([k.eventsPartitionState(3, 4), k.eventsPartitionLock(3, 4), eventsGroup(3, 4)]).toEqual([
      'lpr:{2}:events:state:3',
      'lpr:{2}:lock:events:3',
      'events-3',
    ]);
  });
  it('hash-tags partitions so a frame and its result share a slot', () => {
    const k = new StreamKeys('lpr', '3');
    expect(k.frames).toBe('lpr:{3}:frames');
    expect(k.results).toBe('lpr:{3}:results');
  });
  it('refuses prefixes that would break key parsing', () => {
    expect(() => new StreamKeys('a:b')).toThrow(/prefix/);
    expect(() => new StreamKeys('lpr', '{x}')).toThrow(/partition/);
  });
});
