import { describe, expect, it } from 'vitest';
import type { PlateBox } from '../../shared/recognizer.ts';
import {
  type CameraState,
  emptyCameraState,
  isIdle,
  type OpenPass,
  PASS_DEFAULTS,
  type PassRead,
  stepCamera,
  summarise,
  travel,
} from '../pass-builder.ts';
import { direction, passToEvent } from '../pass-event.ts';
import { readsOfResult } from '../result-reads.ts';
import { dominated } from '../riders.ts';

const T0 = 1_700_000_000_000;
let seq = 0;
function read(ts: number, plate: string, box?: PlateBox, frameSeq?: number): PassRead {
  const n = frameSeq ?? seq++;
  return { result: `${T0 + n}-0`, frame: `${T0 + n}-1`, ts, plate, conf: 0.9, box };
}

/** A car crossing the view: `n` frames every 150 ms, box moving right and growing. */
function car(plate: string, start: number, n: number, y = 100): PassRead[] {
  return Array.from({ length: n }, (_, i) =>
    read(start + i * 150, plate, { x: 100 + i * 30, y, w: 80 + i * 4, h: 20 }),
  );
}

function run(batches: PassRead[][], opts = PASS_DEFAULTS): { passes: OpenPass[]; state: CameraState } {
  let state = emptyCameraState('cam-1');
  const passes: OpenPass[] = [];
  for (const b of batches) {
    const out = stepCamera(state, { frameTimes: b.map((x) => x.ts), reads: b, now: 0 }, opts);
    state = out.state;
    passes.push(...out.closed);
  }
  const out = stepCamera(state, { frameTimes: [], reads: [], flush: true, now: 0 }, opts);
  passes.push(...out.closed);
  return { passes, state: out.state };
}

const shape = (passes: OpenPass[]) =>
  passes.map((p) => ({ id: p.id, reads: p.reads.map((r) => r.result).sort() }));

describe('stepCamera', () => {
  it('gives the same passes whatever order the reads arrive in (within the lateness)', () => {
    const all = [
      ...car('AB123CD', T0, 12),
      ...car('XY987ZW', T0 + 5000, 10),
      ...car('KL55MNO', T0 + 9000, 8),
    ];
    const inOrder = run(all.map((x) => [x]));
    expect(inOrder.passes.map((p) => p.reads.length)).toEqual([12, 10, 8]);
    expect(isIdle(inOrder.state)).toBe(true);
    for (let trial = 0; trial < 20; trial++) {
      // Each read is delayed by up to 1.5 s (less than the 2 s lateness), as several workers would.
      const shuffled = all
        .map((x) => ({ x, at: x.ts + Math.random() * 1500 }))
        .sort((a, b) => a.at - b.at)
        .map((a) => a.x);
      const batches: PassRead[][] = [];
      for (let i = 0; i < shuffled.length; ) {
        const k = 1 + Math.floor(Math.random() * 5);
        batches.push(shuffled.slice(i, i + k));
        i += k;
      }
      expect(shape(run(batches).passes)).toEqual(shape(inOrder.passes));
    }
  });

  it('keeps two vehicles in view at once apart', () => {
    const a = car('AB123CD', T0, 10, 100);
    const b = car('AB128CX', T0 + 300, 10, 600); // similar text, other place in the picture
    const frames = [...a, ...b].sort((x, y) => x.ts - y.ts);
    const { passes } = run([frames]);
    expect(passes.map((p) => new Set(p.reads.map((r) => r.plate)))).toEqual([
      new Set(['AB123CD']),
      new Set(['AB128CX']),
    ]);
  });

  it('lets a misread frame join its vehicle (and be outvoted)', () => {
    const reads = car('AB123CD', T0, 6);
    reads[3] = { ...reads[3]!, plate: 'A8I23CO' };
    const { passes } = run([reads]);
    expect(passes).toHaveLength(1);
    expect(passToEvent('cam-1', passes[0]!, { patterns: [] }).plate).toBe('AB123CD');
  });

  it('joins the fragment a run of look-alike misreads split off its vehicle', () => {
    // frames 4-6 read "OIJ0" (cut off), "OIJ009", "O1J009": too far from 01J009 to join it, so they opened a
    // pass of their own and followed it; frames 7-9 read 01J009 again.
    const reads = car('01J009', T0, 9).map((r, i) => {
      const plate = ['01J009', '01J009', '01J009', 'OIJ0', 'OIJ009', 'O1J009'][i] ?? '01J009';
      return i === 3 ? { ...r, plate, box: { ...r.box!, w: r.box!.w * 0.6 } } : { ...r, plate };
    });
    const { passes } = run([reads]);
    expect(passes).toHaveLength(1);
    expect(passes[0]!.reads.map((r) => r.plate)).toEqual(reads.map((r) => r.plate));
    expect(passes[0]!.id).toBe(`cam-1:${T0}:0`);
    expect(passToEvent('cam-1', passes[0]!, { patterns: [] }).plate).toBe('01J009');
    // The same reads split in space (two vehicles, one read per frame each) or with unlike plates stay apart.
    const apart = reads.map((r, i) =>
      i >= 3 && i <= 5 ? { ...r, box: { ...r.box!, y: r.box!.y + 600 } } : r,
    );
    expect(run([apart]).passes).toHaveLength(2);
    // A partial read ("YX40": the rest hidden) in two frames between reads of YX405SJ joins it too.
    const partial = car('YX405SJ', T0, 8).map((r, i) => (i === 2 || i === 5 ? { ...r, plate: 'YX40' } : r));
    const joined = run([partial]).passes;
    expect(joined.map((p) => p.reads.length)).toEqual([8]);
    expect(passToEvent('cam-1', joined[0]!, { patterns: [] }).plate).toBe('YX405SJ');
    const unlike = reads.map((r, i) => (i >= 3 && i <= 5 ? { ...r, plate: 'XY77KLM' } : r));
    expect(run([unlike]).passes).toHaveLength(2);
    // Two signs with one word, fixed 3 widths apart, read in turns: interleaved, but each off the other's track.
    const signs = Array.from({ length: 12 }, (_, i) =>
      read(T0 + i * 150, 'SPEED', { x: i % 4 < 2 ? 100 : 400, y: 50, w: 100, h: 25 }),
    );
    expect(run([signs]).passes).toHaveLength(2);
  });

  it('closes a pass after a gap longer than maxGapMs, not on frames without a plate', () => {
    const first = car('AB123CD', T0, 5);
    const later = car('AB123CD', T0 + 600 + PASS_DEFAULTS.maxGapMs + 1000, 5);
    const { passes } = run([first, later]);
    expect(passes.map((p) => p.reads.length)).toEqual([5, 5]);

    // 2 s of frames without a plate inside one pass: still one pass.
    let state = emptyCameraState('cam-1');
    const closed: OpenPass[] = [];
    const step = (frameTimes: number[], reads: PassRead[], flush = false) => {
      const out = stepCamera(state, { frameTimes, reads, flush, now: 0 }, PASS_DEFAULTS);
      state = out.state;
      closed.push(...out.closed);
    };
    step([], car('AB123CD', T0, 3));
    for (let t = T0 + 450; t < T0 + 2450; t += 150) step([t], []);
    step([], car('AB123CD', T0 + 2450, 3));
    expect(closed).toEqual([]);
    step([], [], true);
    expect(closed.map((p) => p.reads.length)).toEqual([6]);
  });

  it('closes passes once the watermark has passed them by maxGapMs', () => {
    let state = emptyCameraState('cam-1');
    let out = stepCamera(state, { frameTimes: [], reads: car('AB123CD', T0, 4), now: 0 }, PASS_DEFAULTS);
    expect(out.closed).toEqual([]);
    state = out.state;
    const far = T0 + 450 + PASS_DEFAULTS.latenessMs + PASS_DEFAULTS.maxGapMs + 1;
    out = stepCamera(state, { frameTimes: [far], reads: [], now: 0 }, PASS_DEFAULTS);
    expect(out.closed.map((p) => p.reads.length)).toEqual([4]);
    expect(out.state.passes).toEqual([]);
  });

  it('closes a pass that reached maxPassReads (text that stays in view keeps state bounded)', () => {
    const reads = car('AB123CD', T0, 10);
    const { passes } = run([reads], { ...PASS_DEFAULTS, maxPassReads: 4 });
    expect(passes.map((p) => p.reads.length)).toEqual([4, 4, 2]);
  });

  it('counts and still assigns a read later than the lateness', () => {
    const reads = car('AB123CD', T0, 6);
    const lateOne = reads.splice(1, 1)[0]!;
    let state = emptyCameraState('cam-1');
    let out = stepCamera(state, { frameTimes: [T0 + 4000], reads, now: 0 }, PASS_DEFAULTS);
    state = out.state;
    out = stepCamera(state, { frameTimes: [], reads: [lateOne], now: 0 }, PASS_DEFAULTS);
    expect(out.late).toBe(1);
    out = stepCamera(out.state, { frameTimes: [], reads: [], flush: true, now: 0 }, PASS_DEFAULTS);
    expect(out.closed.map((p) => p.reads.length)).toEqual([6]);
  });
});

describe('passToEvent', () => {
  it('reports best frame, box, direction and reads', () => {
    const reads = car('AB123CD', T0, 6);
    reads[2] = { ...reads[2]!, conf: 0.99 };
    const e = passToEvent('cam-1', { id: 'cam-1:x:0', reads }, { patterns: [] });
    expect(e).toMatchObject({
      event: 'cam-1:x:0',
      plate: 'AB123CD',
      frames: 6,
      firstTs: T0,
      lastTs: T0 + 750,
      bestFrame: reads[2]!.frame,
      bestBox: reads[2]!.box,
      direction: 'approaching',
    });
    expect(e.results.map((r) => r.id)).toEqual(reads.map((r) => r.result));
  });

  it('tells text riding on a vehicle (far less confident, same frames) from a second vehicle', () => {
    const plate = car('AB123CD', T0, 6);
    const frames = plate.map((r) => r.frame);
    const badge: OpenPass = {
      id: 'b',
      reads: plate.map((r) => ({ ...r, plate: 'HYBRID', conf: 0.69, box: { ...r.box!, x: r.box!.x - 80 } })),
    };
    const other: OpenPass = { id: 'o', reads: plate.map((r) => ({ ...r, plate: 'XY987ZW', conf: 0.88 })) };
    const platePass: OpenPass = { id: 'p', reads: plate.map((r) => ({ ...r, conf: 0.97 })) };
    expect(summarise(platePass).frames).toEqual(frames);
    expect(dominated(badge, [summarise(platePass)], 0.2, 0.3)).toBe(true);
    expect(dominated(platePass, [summarise(badge)], 0.2, 0.3)).toBe(false);
    // The badge's box cut by the frame's edge in its first frame (offset off by 0.6 plate widths): that
    // frame does not ride, the other seven still do.
    const cut: OpenPass = {
      id: 'bc',
      reads: badge.reads.map((r, i) => (i === 0 ? { ...r, box: { ...r.box!, x: r.box!.x - 0.6 * 80 } } : r)),
    };
    expect(dominated(cut, [summarise(platePass)], 0.2, 0.3)).toBe(true);
    expect(dominated(other, [summarise(platePass)], 0.2, 0.3)).toBe(false); // a second plate reads about as well
    expect(dominated(badge, [summarise(platePass)], 0, 0.3)).toBe(false); // rule off
    // The same badge text read on other cars after this one left: still riding on this car where they overlap.
    const longer: OpenPass = {
      id: 'l',
      reads: [...badge.reads.slice(0, 3), ...car('HYBRID', T0 + 2000, 4).map((r) => ({ ...r, conf: 0.69 }))],
    };
    expect(dominated(longer, [summarise(platePass)], 0.2, 0.3)).toBe(true);
    // A confident sign that does not move cannot make a vehicle's text secondary.
    const sign: OpenPass = {
      id: 's',
      reads: plate.map((r) => ({ ...r, conf: 0.99, box: { x: 5, y: 5, w: 100, h: 20 } })),
    };
    expect(dominated(badge, [summarise(sign)], 0.2, 0.3)).toBe(false);
  });

  it('tells text riding on a vehicle (same offset from its plate while it moves) from a second vehicle', () => {
    const plate = car('AB123CD', T0, 8).map((r) => ({ ...r, conf: 0.99 }));
    const platePass: OpenPass = { id: 'p', reads: plate };
    // A badge beside the plate, read nearly as well (0.9): the confidence margin alone would keep it.
    const badge: OpenPass = {
      id: 'b',
      reads: plate.map((r) => ({
        ...r,
        plate: 'HYBRID',
        conf: 0.9,
        box: { x: r.box!.x + 1.3 * r.box!.w, y: r.box!.y - 10, w: 40, h: 10 },
      })),
    };
    expect(dominated(badge, [summarise(platePass)], 0.2, 0.3)).toBe(true);
    expect(dominated(platePass, [summarise(badge)], 0.2, 0.3)).toBe(false);
    // The badge's box cut by the frame's edge in its first frame (offset off by 0.6 plate widths): that
    // frame does not ride, the other seven still do.
    const cut: OpenPass = {
      id: 'bc',
      reads: badge.reads.map((r, i) => (i === 0 ? { ...r, box: { ...r.box!, x: r.box!.x - 0.6 * 80 } } : r)),
    };
    expect(dominated(cut, [summarise(platePass)], 0.2, 0.3)).toBe(true);
    expect(dominated(badge, [summarise(platePass)], 0, 0.3)).toBe(false); // rule off
    // A second vehicle in the next lane at the same speed: same offset, but a plate of the same size read as
    // well — two vehicles.
    const twin: OpenPass = {
      id: 't',
      reads: plate.map((r) => ({
        ...r,
        plate: 'XY987ZW',
        conf: 0.97,
        box: { ...r.box!, y: r.box!.y + 120 },
      })),
    };
    expect(dominated(twin, [summarise(platePass)], 0.2, 0.3)).toBe(false);
    // A second vehicle moving the other way: its offset from this plate changes, so it is not riding on it.
    const oncoming: OpenPass = {
      id: 'c',
      reads: plate.map((r, i) => ({
        ...r,
        plate: 'HYBRID',
        conf: 0.9,
        box: { x: 500 - i * 30, y: r.box!.y + 100, w: 40, h: 10 },
      })),
    };
    expect(dominated(oncoming, [summarise(platePass)], 0.2, 0.3)).toBe(false);
    // The same badge read on two cars one after the other: riding in most of its frames.
    const next = car('CD456EF', T0 + 8 * 150 + 300, 6).map((r) => ({ ...r, conf: 0.99 }));
    const onBoth: OpenPass = {
      id: 'b2',
      reads: [
        ...badge.reads,
        ...next.map((r) => ({
          ...r,
          plate: 'HYBRID',
          conf: 0.85,
          box: { x: r.box!.x - 60, y: r.box!.y - 12, w: 38, h: 10 },
        })),
      ],
    };
    expect(dominated(onBoth, [summarise(platePass)], 0.2, 0.3)).toBe(true);
    expect(dominated(onBoth, [summarise(platePass), summarise({ id: 'n', reads: next })], 0.2, 0.3)).toBe(
      true,
    );
    const onFirstOnly: OpenPass = { id: 'b3', reads: [...badge.reads.slice(0, 2), ...onBoth.reads.slice(8)] };
    expect(dominated(onFirstOnly, [summarise(platePass)], 0.2, 0.3)).toBe(false); // 2 of 8 frames riding
    // The plate read in one of the badge's frames only (a post hid it in the others): its place in those
    // frames is interpolated between its reads around them (150 ms apart here).
    const gappy: OpenPass = { id: 'g', reads: plate.filter((_, i) => i === 0 || i === 3 || i === 7) };
    const badgeMid: OpenPass = { id: 'bm', reads: badge.reads.slice(2, 5) };
    expect(dominated(badgeMid, [summarise(gappy)], 0.2, 0.3)).toBe(true);
    // Interpolated places alone (no frame read in both) never make a rider.
    const noShared: OpenPass = { id: 'ns', reads: [badge.reads[1]!, badge.reads[2]!, badge.reads[5]!] };
    expect(dominated(noShared, [summarise(gappy)], 0.2, 0.3)).toBe(false);
    // A badge read once on each of three cars (one frame each, no common motion to see): near each plate,
    // smaller and less confident there, so riding.
    const cars = [0, 1, 2].map((k) =>
      car(`CAR${k}`, T0 + 5000 + k * 2000, 6).map((r) => ({ ...r, conf: 0.99, box: { ...r.box!, h: 30 } })),
    );
    const once = (k: number, i: number, dx: number, dy: number, h = 14, conf = 0.92) => {
      const r = cars[k]![i]!;
      return { ...r, plate: 'HYBR1D', conf, box: { x: r.box!.x + dx, y: r.box!.y + dy, w: 45, h } };
    };
    const summaries = cars.map((c, k) => summarise({ id: `car${k}`, reads: c }));
    const hops: OpenPass = {
      id: 'h',
      reads: [once(0, 2, 110, -20), once(1, 4, -90, -25), once(2, 1, 20, 40)],
    };
    expect(dominated(hops, summaries, 0.2, 0.3)).toBe(true);
    // The same single-frame sightings but as large as the plates, or read better, or far from them: a
    // vehicle of its own.
    const big: OpenPass = { id: 'h2', reads: hops.reads.map((r) => ({ ...r, box: { ...r.box!, h: 30 } })) };
    expect(dominated(big, summaries, 0.2, 0.3)).toBe(false);
    const surer: OpenPass = { id: 'h3', reads: hops.reads.map((r) => ({ ...r, conf: 0.995 })) };
    expect(dominated(surer, summaries, 0.2, 0.3)).toBe(false);
    const far: OpenPass = { id: 'h4', reads: [once(0, 2, 400, 0), once(1, 4, -90, 250), once(2, 1, 20, 40)] };
    expect(dominated(far, summaries, 0.2, 0.3)).toBe(false); // 1 of 3 frames riding
  });

  it('measures how far the plate travelled, in plate widths', () => {
    // centre moves 4 x 32 px, the left end 4 x 30 (the least-moving anchor counts); median width 88
    expect(travel(car('AB123CD', T0, 5))).toBeCloseTo(120 / 88, 5);
    const still = Array.from({ length: 5 }, (_, i) =>
      read(T0 + i, 'LEVEL1', { x: 400 + (i % 2), y: 40, w: 170, h: 30 }),
    );
    expect(travel(still)).toBeLessThan(0.01);
    // A sign that passing vehicles partly hide: its reads cover more or less of the text, so their centres
    // shift by up to half a plate width, but the left end of the box stays put.
    const sign = [70, 72, 111, 136, 71].map((w, i) =>
      read(T0 + i, 'CITY', { x: 103 + (i % 2), y: 80, w, h: 28 }),
    );
    expect(travel(sign)).toBeLessThan(0.05);
    // An approaching plate grows while it moves down: every anchor moves.
    const near = [60, 75, 90, 105].map((w, i) =>
      read(T0 + i, 'AB123CD', { x: 300 - i * 7, y: 200 + i * 30, w, h: w / 4 }),
    );
    expect(travel(near)).toBeGreaterThan(1);
    expect(travel([read(T0, 'X')])).toBeUndefined();
  });

  it('tells leaving from approaching by box size', () => {
    const widths = (ws: number[]) => ws.map((w, i) => read(T0 + i, 'X', { x: 0, y: 0, w, h: 10 }));
    expect(direction(widths([100, 90, 80, 70, 60, 50]))).toBe('leaving');
    expect(direction(widths([50, 60, 70, 80]))).toBe('approaching');
    expect(direction(widths([80, 81, 79, 80]))).toBe('');
  });
});

describe('readsOfResult', () => {
  it('takes every candidate (one per plate in view), normalised, with boxes and character confidences', () => {
    const box = { x: 1, y: 2, w: 30, h: 10 };
    const reads = readsOfResult({
      id: '5-0',
      frame: '4-0',
      camera: 'cam-1',
      ts: T0,
      plate: 'AB123',
      confidence: 0.9,
      plates: [
        { text: 'ab-123', confidence: 0.9, box, charConfidences: [0.9, 0.9, 0.8, 0.9, 0.9] },
        { text: 'XY9', confidence: 0.2, box },
      ],
      model: 'm',
      worker: 'w',
      timings: {},
    });
    expect(reads).toEqual([
      {
        result: '5-0',
        frame: '4-0',
        ts: T0,
        plate: 'AB123',
        conf: 0.9,
        chars: [0.9, 0.9, 0.8, 0.9, 0.9],
        box,
      },
      { result: '5-0', frame: '4-0', ts: T0, plate: 'XY9', conf: 0.2, box },
    ]);
    const bare = {
      id: '5-0',
      frame: '4-0',
      camera: 'c',
      ts: T0,
      plate: 'AB1',
      confidence: 0.5,
      plates: [],
      model: '',
      worker: '',
      timings: {},
    };
    expect(readsOfResult(bare)).toEqual([{ result: '5-0', frame: '4-0', ts: T0, plate: 'AB1', conf: 0.5 }]);
    expect(readsOfResult({ ...bare, plate: '' })).toEqual([]);
  });
});
