import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlatestreamError } from '../../shared/errors.ts';
import type { PlateBox } from '../../shared/recognizer.ts';
import { annotationLine } from './dataset.ts';
import type { PlateStyle } from './plate-styles.ts';
import { deriveSeed, Rng, type Seed } from './prng.ts';
import { renderScene } from './render.ts';

/**
 * Synthetic **sequences**: vehicles entering, crossing and leaving a fixed camera view over several frames,
 * with ground truth per vehicle pass (for the events stage and `npm run eval:events`).
 *
 * Each camera's timeline: a few static frames without a plate, then vehicles one after another, each seen
 * in 6-14 frames while it approaches (plate grows and moves down), leaves (shrinks, moves up) or crosses
 * (moves sideways), with per-frame camera noise, motion blur in some frames and frames where the plate is
 * hidden (occlusion: unreadable), and 2-5 frames without a plate between vehicles. The same seed gives the
 * same frames. Left out: two vehicles in one frame (a scene draws one plate).
 *
 * Layout: `<dir>/<camera>/<camera>-000001.jpg` (+ `.txt` in the OpenALPR benchmark layout for frames whose
 * plate is visible), frame order = name order; `<dir>/truth.json` (`SequenceTruth`).
 */

export interface SequenceOptions {
  /** Number of vehicle passes in all. */
  sequences: number;
  seed: Seed;
  /** Cameras the passes are spread over (round robin); default 1. */
  cameras?: number;
  /** Frames per second of the cameras (capture times in the truth); default 8. */
  fps?: number;
  width?: number;
  height?: number;
  distortion?: number;
  style?: PlateStyle | readonly PlateStyle[];
}

export interface TruthPass {
  camera: string;
  plate: string;
  /** Frame names (without folder) of the first and last frame the vehicle is in view. */
  firstFrame: string;
  lastFrame: string;
  /** Frames the vehicle is in view (hidden plate frames included). */
  frames: number;
  motion: 'approaching' | 'leaving' | 'crossing';
}

export interface TruthFrame {
  /** Path relative to the set folder: `<camera>/<name>.jpg`. */
  file: string;
  name: string;
  camera: string;
  /** Position in the camera's timeline (0-based); capture time = index / fps. */
  index: number;
  /** The plate readable in this frame; '' when none (no vehicle, or the plate is hidden). */
  plate: string;
  /** Index into `passes` of the vehicle in view, or -1. */
  pass: number;
  box?: PlateBox;
}

export interface SequenceTruth {
  seed: string;
  fps: number;
  cameras: string[];
  passes: TruthPass[];
  frames: TruthFrame[];
}

const MOTIONS = ['approaching', 'leaving', 'crossing'] as const;

interface PlannedFrame {
  camera: string;
  index: number;
  pass: number;
  seed: number;
  cameraSeed: number;
  hidden: boolean;
  motionBlur: number;
  placement?: { cx: number; cy: number; charHeight: number };
}

/** The timeline of every camera (no rendering): deterministic from the options. */
function plan(
  o: Required<Pick<SequenceOptions, 'sequences' | 'cameras' | 'fps'>> & { seed: Seed; height: number },
) {
  const cameras = Array.from({ length: o.cameras }, (_, i) => `cam-${i + 1}`);
  const frames: PlannedFrame[] = [];
  const passes: (Omit<TruthPass, 'plate' | 'firstFrame' | 'lastFrame'> & {
    seed: number;
    first: number;
    last: number;
  })[] = [];
  const next = new Map(cameras.map((c) => [c, 0]));
  const scale = o.height / 480;
  for (const camera of cameras) {
    const rng = new Rng(deriveSeed(o.seed, `static-${camera}`));
    for (let k = rng.int(1, 3); k > 0; k--) frames.push(staticFrame(camera, next, rng));
  }
  for (let v = 0; v < o.sequences; v++) {
    const camera = cameras[v % cameras.length]!;
    const rng = new Rng(deriveSeed(o.seed, `vehicle-${v}`));
    const n = rng.int(6, 14);
    const motion = rng.pick(MOTIONS);
    const vehicleSeed = deriveSeed(o.seed, `vehicle-scene-${v}`);
    const first = next.get(camera)!;
    const lane = rng.float(0.4, 0.6);
    for (let i = 0; i < n; i++) {
      const t = n === 1 ? 0.5 : i / (n - 1);
      let placement: { cx: number; cy: number; charHeight: number };
      if (motion === 'approaching')
        placement = { cx: lane + (t - 0.5) * 0.1, cy: 0.35 + 0.45 * t, charHeight: (15 + 15 * t) * scale };
      else if (motion === 'leaving')
        placement = { cx: lane - (t - 0.5) * 0.1, cy: 0.8 - 0.45 * t, charHeight: (30 - 15 * t) * scale };
      else placement = { cx: 0.15 + 0.7 * t, cy: lane + 0.15, charHeight: rng.float(21, 26) * scale };
      frames.push({
        camera,
        index: next.get(camera)!,
        pass: v,
        seed: vehicleSeed,
        cameraSeed: deriveSeed(o.seed, `frame-${camera}-${next.get(camera)}`),
        // The first and last frames stay readable so every pass has something to read at both ends.
        hidden: i > 0 && i < n - 1 && rng.chance(0.12),
        motionBlur: rng.chance(0.25) ? rng.float(0.4, 1.4) * scale : 0,
        placement,
      });
      next.set(camera, next.get(camera)! + 1);
    }
    passes.push({ camera, frames: n, motion, seed: vehicleSeed, first, last: next.get(camera)! - 1 });
    for (let k = rng.int(2, 5); k > 0; k--) frames.push(staticFrame(camera, next, rng));
  }
  return { cameras, frames, passes };
}

function staticFrame(camera: string, next: Map<string, number>, rng: Rng): PlannedFrame {
  const index = next.get(camera)!;
  next.set(camera, index + 1);
  return {
    camera,
    index,
    pass: -1,
    seed: rng.int(0, 2 ** 31),
    cameraSeed: rng.int(0, 2 ** 31),
    hidden: true,
    motionBlur: 0,
  };
}

export function frameName(camera: string, index: number): string {
  return `${camera}-${String(index + 1).padStart(6, '0')}`;
}

/** Renders and writes a sequence set; `onFrame` after each frame written. */
export async function writeSequences(
  dir: string,
  opts: SequenceOptions,
  onFrame?: (done: number, total: number) => void,
): Promise<SequenceTruth> {
  const cameras = opts.cameras ?? 1;
  const fps = opts.fps ?? 8;
  const height = opts.height ?? 480;
  if (!Number.isInteger(opts.sequences) || opts.sequences < 1 || opts.sequences > 100_000)
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `sequences must be an integer from 1 to 100000, got ${opts.sequences}`,
    );
  if (!Number.isInteger(cameras) || cameras < 1 || cameras > 1000)
    throw new PlatestreamError('CONFIG_INVALID', `cameras must be an integer from 1 to 1000, got ${cameras}`);
  if (!(fps > 0 && fps <= 120))
    throw new PlatestreamError('CONFIG_INVALID', `fps must be from 0 to 120, got ${fps}`);
  const p = plan({ sequences: opts.sequences, cameras, fps, seed: opts.seed, height });
  for (const c of p.cameras) await mkdir(join(dir, c), { recursive: true });
  const plates = new Map<number, string>();
  const truthFrames: TruthFrame[] = [];
  let done = 0;
  for (const f of p.frames) {
    const scene = await renderScene({
      seed: f.seed,
      cameraSeed: f.cameraSeed,
      withoutPlate: f.hidden,
      motionBlur: f.motionBlur,
      ...(f.placement && { placement: f.placement }),
      ...(opts.width !== undefined && { width: opts.width }),
      height,
      ...(opts.distortion !== undefined && { distortion: opts.distortion }),
      ...(opts.style !== undefined && { style: opts.style }),
    });
    const name = frameName(f.camera, f.index);
    const file = `${f.camera}/${name}.jpg`;
    await writeFile(join(dir, file), scene.image);
    if (f.pass >= 0 && !f.hidden) {
      plates.set(f.pass, scene.text);
      await writeFile(join(dir, f.camera, `${name}.txt`), annotationLine(`${name}.jpg`, scene));
    }
    truthFrames.push({
      file,
      name,
      camera: f.camera,
      index: f.index,
      plate: f.hidden ? '' : scene.text,
      pass: f.pass,
      ...(f.pass >= 0 && !f.hidden && { box: scene.box }),
    });
    onFrame?.(++done, p.frames.length);
  }
  const truth: SequenceTruth = {
    seed: String(opts.seed),
    fps,
    cameras: p.cameras,
    passes: p.passes.map((x, i) => ({
      camera: x.camera,
      plate: plates.get(i) ?? '',
      firstFrame: frameName(x.camera, x.first),
      lastFrame: frameName(x.camera, x.last),
      frames: x.frames,
      motion: x.motion,
    })),
    frames: truthFrames.sort((a, b) =>
      a.camera === b.camera ? a.index - b.index : a.camera < b.camera ? -1 : 1,
    ),
  };
  await writeFile(join(dir, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
  return truth;
}
