import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../../shared/cli/index.ts';
import { run } from '../cli.ts';
import type { SceneResult } from '../render.ts';
import {
  renderSequences,
  type SequenceTruth,
  sequenceTruth,
  type TruthFrame,
  writeSequences,
} from '../sequences.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'platestream-seq-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('synthetic sequences', () => {
  it('writes vehicle passes over several frames per camera, with truth.json, the same for the same seed', async () => {
    const truth = await writeSequences(join(dir, 'a'), {
      sequences: 3,
      seed: 5,
      cameras: 2,
      fps: 10,
      width: 320,
      height: 240,
    });
    expect(truth.cameras).toEqual(['cam-1', 'cam-2']);
    expect(truth.passes.map((p) => p.camera)).toEqual(['cam-1', 'cam-2', 'cam-1']);
    for (const [i, p] of truth.passes.entries()) {
      const frames = truth.frames.filter((f) => f.pass === i);
      expect(frames.length).toBe(p.frames);
      expect(frames.length).toBeGreaterThanOrEqual(6);
      expect([frames[0]!.name, frames.at(-1)!.name]).toEqual([p.firstFrame, p.lastFrame]);
      // Consecutive frames of one camera, readable at both ends, moving through the view.
      expect(frames.map((f) => f.index)).toEqual(frames.map((_, k) => frames[0]!.index + k));
      expect(p.plate).toMatch(/^[A-Z0-9]{4,10}$/);
      for (const f of [frames[0]!, frames.at(-1)!]) expect(f.plate).toBe(p.plate);
      const boxes = frames.filter((f) => f.box).map((f) => f.box!);
      const first = boxes[0]!;
      const last = boxes.at(-1)!;
      const moved = Math.hypot(last.x - first.x, last.y - first.y) + Math.abs(last.w - first.w);
      expect(moved).toBeGreaterThan(first.w / 2);
    }
    // Frames without a vehicle between passes; frame names give the order.
    expect(truth.frames.some((f) => f.pass < 0)).toBe(true);
    const files = (await readdir(join(dir, 'a', 'cam-1'))).filter((f) => f.endsWith('.jpg'));
    expect(files).toEqual([...files].sort());
    expect(files).toHaveLength(truth.frames.filter((f) => f.camera === 'cam-1').length);
    const onDisk = JSON.parse(await readFile(join(dir, 'a', 'truth.json'), 'utf8')) as SequenceTruth;
    expect(onDisk).toEqual(truth);

    const again = await writeSequences(join(dir, 'b'), {
      sequences: 3,
      seed: 5,
      cameras: 2,
      fps: 10,
      width: 320,
      height: 240,
    });
    expect(again).toEqual(truth);
    const img = (d: string) => readFile(join(dir, d, truth.frames[3]!.file));
    expect((await img('b')).equals(await img('a'))).toBe(true);
  });

  it('draws a fixed view per camera: empty frames show no vehicle, plates grow from far, some are partly hidden', async () => {
    const opts = { sequences: 12, seed: 8, cameras: 1, width: 320, height: 240 } as const;
    const frames: { truth: TruthFrame; scene: SceneResult }[] = [];
    for await (const { frame, scene } of renderSequences(opts)) frames.push({ truth: frame, scene });
    const truth = sequenceTruth(
      opts,
      frames.map((f) => f.truth),
    );
    // Empty frames: no vehicle, so no text on a car; the view's own text (a sign, the stamp) stays put.
    const empty = frames.filter((f) => f.truth.pass < 0);
    expect(empty.length).toBeGreaterThan(12);
    const viewText = (f: (typeof frames)[number]) => JSON.stringify(f.scene.distractors);
    for (const f of empty) expect(viewText(f)).toBe(viewText(empty[0]!));
    // Approaching vehicles start far away: small letters in their first frame, large in their last.
    const approaching = truth.passes.findIndex((p) => p.motion === 'approaching');
    const own = frames.filter((f) => f.truth.pass === approaching);
    expect(own[0]!.scene.params.charHeight).toBeLessThan(own.at(-1)!.scene.params.charHeight / 2);
    // Some frames have the plate partly hidden (still in view: its text is the truth), some hidden entirely.
    const partly = truth.frames.filter((f) => f.occluded !== undefined);
    expect(partly.length).toBeGreaterThan(0);
    for (const f of partly) {
      expect(f.plate).toBe(truth.passes[f.pass]!.plate);
      expect(f.occluded).toBeGreaterThan(0);
    }
    expect(truth.frames.some((f) => f.pass >= 0 && f.plate === '')).toBe(true);
  });

  it('is reached through platestream synth --sequences', async () => {
    let out = '';
    const io = {
      env: {},
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
    } as unknown as CliIO;
    expect(
      await run(
        [join(dir, 'c'), '--sequences', '1', '--seed', '2', '--width', '320', '--height', '240', '--quiet'],
        io,
      ),
    ).toBe(0);
    expect(out).toMatch(/1 vehicle passes on 1 camera/);
    // A bad value is a usage error (the command table turns it into one line and exit 2).
    await expect(run([join(dir, 'c'), '--sequences', 'x'], io)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
