import { PlatestreamError } from '../../shared/errors.ts';
import type { PlateBox } from '../../shared/recognizer.ts';
import { drawCamera, rasterise } from './camera.ts';
import { loadFonts } from './font-set.ts';
import { displayForText, fillPattern, type PlatePattern, validatePattern } from './patterns.ts';
import { DEFAULT_PATTERNS, drawPlate, isPlateStyle, PLATE_STYLES, type PlateStyle } from './plate-styles.ts';
import { deriveSeed, Rng, type Seed } from './prng.ts';
import { backdrop, car, dealerFrame, lighting, plateLight, sign, timestamp, transformBox } from './scene.ts';
import { fmt, type Matrix, matrixAttr, multiply, rgb } from './svg.ts';

export interface SceneOptions {
  /** Everything about the image follows from the seed (number or string). */
  seed: Seed;
  /** Plate text to draw (A-Z0-9; spaces or dashes are drawn as gaps); random from `patterns` when absent. */
  text?: string;
  /** One style or a list to draw from; default: all styles. */
  style?: PlateStyle | readonly PlateStyle[];
  /** Text patterns (L = letter, 9 = digit, space/dash = gap); default: the style's own (DEFAULT_PATTERNS). */
  patterns?: readonly PlatePattern[];
  /** Letters used for `L`; default DEFAULT_LETTERS (no I, O, Q). */
  letters?: string;
  /** Image size in pixels; default 640 x 480. */
  width?: number;
  height?: number;
  /**
   * Range of the plate's capital-letter height in pixels. Default [16, 32] at 480 px image height, scaled
   * with the image but never under 14 px, so the plate stays readable in small frames.
   */
  charHeight?: readonly [number, number];
  /** Scales every distortion (rotation, shear, blur, noise, light, JPEG loss): 0 = clean, 1 = default. */
  distortion?: number;
  /** Leave out the plate (same scene otherwise; `box` says where it would be): for negatives and tests. */
  withoutPlate?: boolean;
  /** Output encoding; default 'jpeg' (with the drawn JPEG quality). 'png' is lossless. */
  format?: 'jpeg' | 'png';
  /**
   * Where the plate sits instead of a random place (sequences: a vehicle moving through the view): centre as
   * fractions of the image width and height, and the capital-letter height in pixels. The other pose draws
   * (rotation, shear) still come from the seed, so frames of one vehicle share them.
   */
  placement?: { cx: number; cy: number; charHeight: number };
  /** Seed of the camera effects alone (noise, blur, exposure), so frames of one vehicle differ; default `seed`. */
  cameraSeed?: Seed;
  /** Extra blur in pixels (a vehicle moving fast between two exposures). */
  motionBlur?: number;
  /**
   * Seed of a fixed camera view (sequences): the backdrop, the sign, the time stamp and the light come from
   * it alone and are placed without regard to this frame's plate, so every frame of one camera shares them
   * and the vehicles (from `seed`) pass in front. Default: drawn from `seed` like the rest of the scene.
   */
  backgroundSeed?: Seed;
  /** Leave out the vehicle (car and plate): the empty view between two vehicles. */
  withoutVehicle?: boolean;
  /**
   * Something between the camera and the plate (a post, a pedestrian, a barrier arm) hiding the plate
   * from `from` to `to` (fractions of the plate's width); the plate stays in view around it.
   */
  occlusion?: { from: number; to: number };
}

export interface SceneResult {
  image: Buffer;
  mime: 'image/jpeg' | 'image/png';
  /** Ground truth, A-Z0-9 (empty when rendered without plate). */
  text: string;
  /** Text as drawn on the plate, with gaps/dashes. */
  display: string;
  style: PlateStyle;
  /** Axis-aligned box around the plate outline in image pixels (integers, inside the image). */
  box: PlateBox;
  width: number;
  height: number;
  /** Boxes of the other text in the frame (badges, stickers, signs, time stamp; signs may be partly hidden). */
  distractors: PlateBox[];
  /** The settings drawn from the seed, for debugging and reports. */
  params: SceneParams;
}

export interface SceneParams {
  angle: number;
  shearX: number;
  shearY: number;
  charHeight: number;
  blur: number;
  noise: number;
  contrast: number;
  brightness: number;
  quality: number;
  dealerFrame: boolean;
}

export const SCENE_DEFAULTS = { width: 640, height: 480, distortion: 1 } as const;

const MIN_SIZE = 96;
const MAX_SIZE = 4096;

function checkOptions(o: SceneOptions): { width: number; height: number; distortion: number } {
  const problems: string[] = [];
  const width = o.width ?? SCENE_DEFAULTS.width;
  const height = o.height ?? SCENE_DEFAULTS.height;
  const distortion = o.distortion ?? SCENE_DEFAULTS.distortion;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < MIN_SIZE || v > MAX_SIZE) {
      problems.push(`${name} must be an integer from ${MIN_SIZE} to ${MAX_SIZE}, got ${v}`);
    }
  }
  if (!(distortion >= 0 && distortion <= 2))
    problems.push(`distortion must be from 0 to 2, got ${distortion}`);
  const styles = o.style === undefined ? [] : typeof o.style === 'string' ? [o.style] : o.style;
  for (const s of styles) {
    if (!isPlateStyle(s)) problems.push(`style "${s}" is not one of ${PLATE_STYLES.join(', ')}`);
  }
  if (o.style !== undefined && styles.length === 0) problems.push('style list is empty');
  for (const p of o.patterns ?? []) {
    const bad = validatePattern(p);
    if (bad) problems.push(bad);
  }
  if (o.patterns && o.patterns.length === 0) problems.push('patterns list is empty');
  if (o.text !== undefined && !/^[A-Z0-9][A-Z0-9 -]{0,14}[A-Z0-9]$/.test(o.text)) {
    problems.push(
      `text "${o.text}" must be 2-16 characters of A-Z, 0-9, space or "-", starting and ending with A-Z0-9`,
    );
  }
  if (o.format !== undefined && o.format !== 'jpeg' && o.format !== 'png') {
    problems.push(`format must be jpeg or png, got ${o.format}`);
  }
  if (o.letters !== undefined && !/^[A-Z]+$/.test(o.letters))
    problems.push('letters must be a non-empty string of A-Z');
  if (o.charHeight && !(o.charHeight[0] >= 6 && o.charHeight[1] >= o.charHeight[0])) {
    problems.push(`charHeight must be [min, max] with 6 <= min <= max, got [${o.charHeight.join(', ')}]`);
  }
  if (problems.length > 0) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `synthetic scene options are invalid: ${problems.join('; ')}`,
    );
  }
  return { width, height, distortion };
}

/** Renders one camera frame with a plate of known text; a pure function of the options. */
export async function renderScene(opts: SceneOptions): Promise<SceneResult> {
  const { width: W, height: H, distortion: D } = checkOptions(opts);
  const fonts = await loadFonts();
  // Separate streams per concern: leaving the plate out, or changing how noise is drawn, does not move
  // the rest of the scene.
  const rngPlate = new Rng(deriveSeed(opts.seed, 'plate'));
  const rngPose = new Rng(deriveSeed(opts.seed, 'pose'));
  const rngScene = new Rng(deriveSeed(opts.seed, 'scene'));
  const rngCamera = new Rng(deriveSeed(opts.cameraSeed ?? opts.seed, 'camera'));

  const styles: readonly PlateStyle[] =
    opts.style === undefined ? PLATE_STYLES : typeof opts.style === 'string' ? [opts.style] : opts.style;
  const style = rngPlate.pick(styles);
  const plateText = opts.text
    ? displayForText(opts.text, rngPlate.chance(0.3) ? '-' : ' ')
    : fillPattern(rngPlate.pick(opts.patterns ?? DEFAULT_PATTERNS[style]), rngPlate, opts.letters);
  const plate = drawPlate(style, plateText, rngPlate, fonts);

  // Pose: size from the capital-letter height, then rotation and shear (a camera a little off-axis).
  const scaleRef = Math.min(W, H) / 480;
  const [chMin, chMax] = opts.charHeight ?? defaultCharHeight(scaleRef);
  const drawnHeight = rngPose.float(chMin, chMax);
  const charHeight = opts.placement?.charHeight ?? drawnHeight;
  const s = charHeight / plate.charHeight;
  const angle = rngPose.normal(0, 2.2) * D;
  const shearX = rngPose.float(-0.12, 0.12) * D;
  const shearY = rngPose.float(-0.1, 0.1) * D;
  const squash = 1 - rngPose.float(0, 0.12) * D;
  const withFrame = rngPose.chance(0.3);
  // Matrix from plate units to pixels about the plate centre, without translation.
  const a = (angle * Math.PI) / 180;
  const rot: Matrix = [Math.cos(a), Math.sin(a), -Math.sin(a), Math.cos(a), 0, 0];
  const shear: Matrix = [1, shearY, shearX, 1, 0, 0];
  const scale: Matrix = [s, 0, 0, s * squash, 0, 0];
  const centre: Matrix = [1, 0, 0, 1, -plate.w / 2, -plate.h / 2];
  const linear = multiply(multiply(multiply(rot, shear), scale), centre);
  const local = transformBox(linear, { x: 0, y: 0, w: plate.w, h: plate.h });
  const margin = Math.max(4, charHeight * 0.6);
  const needW = local.w + 2 * margin;
  const needH = local.h + 2 * margin;
  if (needW > W || needH > H) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `a plate with ${charHeight.toFixed(1)} px letters (${Math.ceil(needW)} x ${Math.ceil(needH)} px) does not fit a ${W} x ${H} image; lower charHeight or enlarge the image`,
    );
  }
  // Plates sit in the middle band horizontally and the lower two thirds vertically, as at a gate.
  const cxMin = Math.max(-local.x + margin, W * 0.15);
  const cxMax = Math.min(W - (local.x + local.w) - margin, W * 0.85);
  const cyMin = Math.max(-local.y + margin, H * 0.3);
  const cyMax = Math.min(H - (local.y + local.h) - margin, H * 0.85);
  const drawnCx = cxMin <= cxMax ? rngPose.float(cxMin, cxMax) : W / 2;
  const drawnCy = cyMin <= cyMax ? rngPose.float(cyMin, cyMax) : H / 2;
  const place = opts.placement;
  const cx = place ? clamp(place.cx * W, -local.x + margin, W - (local.x + local.w) - margin) : drawnCx;
  const cy = place ? clamp(place.cy * H, -local.y + margin, H - (local.y + local.h) - margin) : drawnCy;
  const m: Matrix = [linear[0], linear[1], linear[2], linear[3], linear[4] + cx, linear[5] + cy];
  const exact = transformBox(m, { x: 0, y: 0, w: plate.w, h: plate.h });
  const box = toPixelBox(exact, W, H);

  // Scene: backdrop, car around the plate, distracting text, plate, light. A fixed camera view draws the
  // backdrop, sign, stamp and light from its own seed, placed without regard to this frame's plate.
  const fixedView = opts.backgroundSeed !== undefined;
  const rngView = fixedView ? new Rng(deriveSeed(opts.backgroundSeed!, 'view')) : rngScene;
  const avoid: PlateBox = fixedView ? { x: -W, y: -H, w: 0, h: 0 } : box;
  const parts: string[] = [backdrop(rngView, W, H)];
  // Signs hang behind the car; the camera's time stamp is burnt in on top of everything.
  const signPart = rngView.chance(0.5) ? sign(rngView, W, H, avoid, fonts) : undefined;
  if (signPart) parts.push(signPart.svg);
  const vehicle = !opts.withoutVehicle;
  const carPart = vehicle
    ? car(rngScene, { cx, cy, plateW: s * plate.w, plateH: s * plate.h * squash, angle, mm: s }, fonts)
    : { svg: '', texts: [] };
  parts.push(carPart.svg);
  // The dealer's holder belongs to the car: it stays when the plate is left out.
  const frameSvg = withFrame && vehicle ? dealerFrame(rngScene, plate.w, plate.h, fonts) : '';
  const glare = plateLight(new Rng(deriveSeed(opts.seed, 'glare')), plate.w, plate.h, Math.min(1, D));
  const plateSvg = opts.withoutPlate || !vehicle ? '' : plate.svg + glare;
  const occluder = plateSvg && opts.occlusion ? occlusionSvg(opts, plate.w, plate.h) : '';
  if (frameSvg || plateSvg)
    parts.push(`<g transform="${matrixAttr(m)}">${frameSvg}${plateSvg}${occluder}</g>`);
  const stamp = rngView.chance(0.4) ? timestamp(rngView, W, H, avoid, fonts) : undefined;
  if (stamp) parts.push(stamp.svg);
  parts.push(lighting(rngView, W, H, Math.min(1, D)));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;

  // Camera: blur, exposure and colour cast, sensor noise, JPEG.
  const drawn = drawCamera(rngCamera, D, charHeight);
  const cam = opts.motionBlur ? { ...drawn, blur: drawn.blur + opts.motionBlur } : drawn;
  const image = await rasterise(svg, opts.format ?? 'jpeg', cam, rngCamera);
  return {
    image,
    mime: opts.format === 'png' ? 'image/png' : 'image/jpeg',
    text: opts.withoutPlate || !vehicle ? '' : plateText.text,
    display: opts.withoutPlate || !vehicle ? '' : plateText.display,
    style,
    box,
    width: W,
    height: H,
    distractors: [
      ...(signPart ? [signPart.box] : []),
      ...carPart.texts.map((t) => t.box),
      ...(stamp ? [stamp.box] : []),
    ]
      .map((b) => toPixelBox(b, W, H))
      .filter((b) => b.w > 0 && b.h > 0),
    params: {
      angle: round2(angle),
      shearX: round2(shearX),
      shearY: round2(shearY),
      charHeight: round2(charHeight),
      blur: round2(cam.blur),
      noise: round2(cam.noise),
      contrast: round2(cam.contrast),
      brightness: round2(cam.brightness),
      quality: cam.quality,
      dealerFrame: withFrame,
    },
  };
}

/** A post or a person in front of the plate (plate units), its colour from the camera seed. */
function occlusionSvg(opts: SceneOptions, w: number, h: number): string {
  const { from, to } = opts.occlusion!;
  const rng = new Rng(deriveSeed(opts.cameraSeed ?? opts.seed, 'occluder'));
  const x0 = Math.max(0, Math.min(1, from)) * w;
  const x1 = Math.max(0, Math.min(1, to)) * w;
  const g = rng.int(20, 200);
  return `<rect x="${fmt(x0)}" y="${fmt(-h * 1.5)}" width="${fmt(Math.max(0, x1 - x0))}" height="${fmt(h * 4)}" rx="${fmt((x1 - x0) * 0.2)}" fill="${rgb(g, g + rng.int(-15, 15), g + rng.int(-15, 25))}"/>`;
}

function defaultCharHeight(scaleRef: number): [number, number] {
  return [Math.max(14, 16 * scaleRef), Math.max(20, 32 * scaleRef)];
}

function clamp(v: number, lo: number, hi: number): number {
  return lo <= hi ? Math.min(hi, Math.max(lo, v)) : (lo + hi) / 2;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Rounds outwards to whole pixels and clamps to the image. */
function toPixelBox(b: PlateBox, W: number, H: number): PlateBox {
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(W, Math.ceil(b.x + b.w));
  const y1 = Math.min(H, Math.ceil(b.y + b.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
