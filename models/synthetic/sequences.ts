import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlatestreamError } from '../../shared/errors.ts';
import type { PlateBox } from '../../shared/recognizer.ts';
import { annotationLine } from './dataset.ts';
import type { PlateStyle } from './plate-styles.ts';
import { deriveSeed, Rng, type Seed } from './prng.ts';
import { renderScene, type SceneResult } from './render.ts';

/**
 * Synthetic **sequences**: vehicles entering, crossing and leaving a fixed camera view over several frames,
 * with ground truth per vehicle pass (for the events stage and `npm run eval:events`).
 *
 * Each camera has one fixed view (backdrop, sign, time stamp and light drawn once per camera): a few empty
 * frames, then vehicles one after another, each seen in 6-14 frames while it approaches (the plate grows
 * from far away, 11 px letters at 480 px, to near, 30 px, and moves down), leaves (the reverse) or crosses
 * (moves sideways), with per-frame camera noise, motion blur in a quarter of the frames, a post or a person
 * in front of part of the plate in some frames (the plate stays in view, partly hidden), frames where the
 * plate is hidden altogether, and 2-5 empty frames between vehicles. The same seed gives the same frames.
 * Left out: two vehicles in one frame (a scene draws one vehicle).
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
  /** Frames a vehicle is in view, [min, max]; default [6, 14]. */
  framesPerPass?: readonly [number, number];
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
  /** The plate in view in this frame (also when partly hidden); '' when none (no vehicle, or hidden). */
  plate: string;
  /** Share of the plate's width hidden by something in front of it, when partly hidden. */
  occluded?: number;
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
/** Capital-letter height (px at 480 px image height) of a plate far away and near (approaching, leaving). */
const FAR = 11;
const NEAR = 30;
/** Chance that an inner frame's plate is hidden altogether, and (otherwise) partly hidden. */
const HIDDEN = 0.06;
const PARTLY_HIDDEN = 0.12;
const FRAMES_PER_PASS: readonly [number, number] = [6, 14];

interface PlannedFrame {
  camera: string;
  index: number;
  pass: number;
  seed: number;
  cameraSeed: number;
  hidden: boolean;
  /** Vehicle in view (false: the empty view between vehicles). */
  vehicle: boolean;
  occlusion?: { from: number; to: number };
  motionBlur: number;
  placement?: { cx: number; cy: number; charHeight: number };
}

/** The timeline of every camera (no rendering): deterministic from the options. */
function plan(
  o: Required<Pick<SequenceOptions, 'sequences' | 'cameras' | 'fps'>> & {
    seed: Seed;
    height: number;
    span: readonly [number, number];
  },
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
    const n = rng.int(o.span[0], o.span[1]);
    const motion = rng.pick(MOTIONS);
    const vehicleSeed = deriveSeed(o.seed, `vehicle-scene-${v}`);
    const first = next.get(camera)!;
    const lane = rng.float(0.4, 0.6);
    for (let i = 0; i < n; i++) {
      const t = n === 1 ? 0.5 : i / (n - 1);
      let placement: { cx: number; cy: number; charHeight: number };
      if (motion === 'approaching')
        placement = {
          cx: lane + (t - 0.5) * 0.1,
          cy: 0.35 + 0.45 * t,
          charHeight: (FAR + (NEAR - FAR) * t) * scale,
        };
      else if (motion === 'leaving')
        placement = {
          cx: lane - (t - 0.5) * 0.1,
          cy: 0.8 - 0.45 * t,
          charHeight: (NEAR - (NEAR - FAR) * t) * scale,
        };
      else placement = { cx: 0.15 + 0.7 * t, cy: lane + 0.15, charHeight: rng.float(21, 26) * scale };
      // The first and last frames are never hidden altogether, so every pass has a plate in view at both ends.
      const inner = i > 0 && i < n - 1;
      const hidden = inner && rng.chance(HIDDEN);
      const partly = !hidden && inner && rng.chance(PARTLY_HIDDEN);
      const from = partly ? rng.float(-0.1, 0.8) : 0;
      frames.push({
        camera,
        index: next.get(camera)!,
        pass: v,
        seed: vehicleSeed,
        cameraSeed: deriveSeed(o.seed, `frame-${camera}-${next.get(camera)}`),
        hidden,
        vehicle: true,
        ...(partly && { occlusion: { from, to: from + rng.float(0.2, 0.4) } }),
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
    vehicle: false,
    motionBlur: 0,
  };
}

export function frameName(camera: string, index: number): string {
  return `${camera}-${String(index + 1).padStart(6, '0')}`;
}

/** One rendered frame of a sequence set, in timeline order (camera by camera as planned). */
export interface RenderedFrame {
  frame: TruthFrame;
  scene: SceneResult;
  /** Frames in the whole set. */
  total: number;
}

/** Checks the options and plans the set: its cameras, frames and passes (nothing rendered yet). */
function planned(opts: SequenceOptions) {
  const cameras = opts.cameras ?? 1;
  const fps = opts.fps ?? 8;
  const height = opts.height ?? 480;
  const span = opts.framesPerPass ?? FRAMES_PER_PASS;
  if (!Number.isInteger(opts.sequences) || opts.sequences < 1 || opts.sequences > 100_000)
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `sequences must be an integer from 1 to 100000, got ${opts.sequences}`,
    );
  if (!Number.isInteger(cameras) || cameras < 1 || cameras > 1000)
    throw new PlatestreamError('CONFIG_INVALID', `cameras must be an integer from 1 to 1000, got ${cameras}`);
  if (!(fps > 0 && fps <= 120))
    throw new PlatestreamError('CONFIG_INVALID', `fps must be from 0 to 120, got ${fps}`);
  if (!(Number.isInteger(span[0]) && Number.isInteger(span[1]) && span[0] >= 3 && span[1] >= span[0]))
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `framesPerPass must be [min, max] integers with 3 <= min <= max, got [${span.join(', ')}]`,
    );
  return {
    fps,
    height,
    plan: plan({ sequences: opts.sequences, cameras, fps, seed: opts.seed, height, span }),
  };
}

/**
 * Renders a sequence set in memory, frame by frame in timeline order (what `writeSequences` writes, and what
 * the demo sends). Same options, same frames.
 */
export async function* renderSequences(opts: SequenceOptions): AsyncGenerator<RenderedFrame> {
  const { height, plan: p } = planned(opts);
  const views = new Map(p.cameras.map((c) => [c, deriveSeed(opts.seed, `view-${c}`)]));
  for (const f of p.frames) {
    const scene = await renderScene({
      seed: f.seed,
      cameraSeed: f.cameraSeed,
      withoutPlate: f.hidden,
      withoutVehicle: !f.vehicle,
      backgroundSeed: views.get(f.camera)!,
      ...(f.occlusion && { occlusion: f.occlusion }),
      motionBlur: f.motionBlur,
      ...(f.placement && { placement: f.placement }),
      ...(opts.width !== undefined && { width: opts.width }),
      height,
      ...(opts.distortion !== undefined && { distortion: opts.distortion }),
      ...(opts.style !== undefined && { style: opts.style }),
    });
    const name = frameName(f.camera, f.index);
    const frame: TruthFrame = {
      file: `${f.camera}/${name}.jpg`,
      name,
      camera: f.camera,
      index: f.index,
      plate: f.hidden ? '' : scene.text,
      ...(f.occlusion && { occluded: round2(Math.min(1, f.occlusion.to) - Math.max(0, f.occlusion.from)) }),
      pass: f.pass,
      ...(f.pass >= 0 && !f.hidden && { box: scene.box }),
    };
    yield { frame, scene, total: p.frames.length };
  }
}

/** The ground truth of a set from its rendered frames (passes take the plate of their visible frames). */
export function sequenceTruth(opts: SequenceOptions, frames: readonly TruthFrame[]): SequenceTruth {
  const { fps, plan: p } = planned(opts);
  const plates = new Map<number, string>();
  for (const f of frames) if (f.pass >= 0 && f.plate) plates.set(f.pass, f.plate);
  return {
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
    frames: [...frames].sort((a, b) =>
      a.camera === b.camera ? a.index - b.index : a.camera < b.camera ? -1 : 1,
    ),
  };
}

/** Renders and writes a sequence set; `onFrame` after each frame written. */
export async function writeSequences(
  dir: string,
  opts: SequenceOptions,
  onFrame?: (done: number, total: number) => void,
): Promise<SequenceTruth> {
  const { plan: p } = planned(opts);
  for (const c of p.cameras) await mkdir(join(dir, c), { recursive: true });
  const frames: TruthFrame[] = [];
  for await (const { frame, scene, total } of renderSequences(opts)) {
    await writeFile(join(dir, frame.file), scene.image);
    if (frame.plate)
      await writeFile(
        join(dir, frame.camera, `${frame.name}.txt`),
        annotationLine(`${frame.name}.jpg`, scene),
      );
    frames.push(frame);
    onFrame?.(frames.length, total);
  }
  const truth = sequenceTruth(opts, frames);
  await writeFile(join(dir, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
  return truth;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
