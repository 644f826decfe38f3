import type { PlateBox } from '../../shared/recognizer.ts';
import { type FontMetrics, layoutText } from './fonts.ts';
import type { PlateFonts } from './plate-styles.ts';
import type { Rng } from './prng.ts';
import { fmt, type Matrix, matrixAttr, rgb } from './svg.ts';

/**
 * Everything around the plate: the backdrop, a car body built around the plate, a dealer's plate holder,
 * and other text (signs, stickers, the camera's time stamp) so that choosing the plate matters.
 */

const CAR_COLOURS: readonly (readonly [number, number, number])[] = [
  [235, 235, 232],
  [190, 192, 196],
  [120, 124, 130],
  [28, 30, 34],
  [150, 20, 24],
  [20, 45, 110],
  [30, 70, 50],
  [200, 190, 170],
  [90, 60, 40],
  [210, 120, 20],
];

const SIGNS = [
  'CITY PARKING',
  'EXIT',
  'NO ENTRY',
  'VISITORS ONLY',
  'LEVEL -1',
  'Ausfahrt',
  'P+R Nord',
  'DELIVERIES 24/7',
  'SPEED LIMIT 10',
  'Zone B 12',
  'STAFF ONLY',
  'Einfahrt 3',
  'PAY HERE',
];
const STICKERS = [
  'BABY ON BOARD',
  'I LOVE MY DOG',
  'HYBRID',
  'Keep distance',
  'TAXI',
  'DRIVING SCHOOL',
  '4x4',
];
const BADGES = ['GTI', '320d', 'HYBRID', 'TDI', 'V6', 'quattro', 'AMG', 'Sport', 'e-tron', '1.6'];
const DEALERS = [
  'AUTOHAUS KELLER',
  'SUNSET MOTORS',
  'CITY CARS 0621 554020',
  'www.auto-berg.de',
  'GARAGE DU LAC',
  'NORTHSIDE FORD',
  'MOTOR CITY 555-0142',
];

export interface TextStamp {
  svg: string;
  box: PlateBox;
}

function shade(c: readonly [number, number, number], k: number): string {
  return rgb(c[0] * k, c[1] * k, c[2] * k);
}

/** Text with its top-left ink corner at (x, y). */
function textAt(
  metrics: FontMetrics,
  text: string,
  x: number,
  y: number,
  capHeight: number,
  fill: string,
): TextStamp {
  const lay = layoutText(metrics, text, { capHeight, tracking: 0.12, fill });
  return {
    svg: `<g transform="translate(${fmt(x)} ${fmt(y)})">${lay.svg}</g>`,
    box: { x, y, w: lay.width, h: lay.height },
  };
}

function overlaps(a: PlateBox, b: PlateBox, margin: number): boolean {
  return (
    a.x < b.x + b.w + margin &&
    b.x < a.x + a.w + margin &&
    a.y < b.y + b.h + margin &&
    b.y < a.y + a.h + margin
  );
}

/** Gradient ids only need to be unique inside one SVG; drawing them from the seeded stream keeps output stable. */
function gid(rng: Rng, prefix: string): string {
  return `${prefix}${rng.int(0, 999_999_999)}`;
}

export function backdrop(rng: Rng, W: number, H: number): string {
  const kind = rng.weighted([
    ['outdoor', 3],
    ['garage', 2],
    ['gate', 2],
  ] as const);
  const parts: string[] = [];
  const horizon = H * rng.float(0.3, 0.5);
  if (kind === 'outdoor') {
    const sky = gid(rng, 'sky');
    parts.push(
      `<defs><linearGradient id="${sky}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${rgb(rng.int(90, 170), rng.int(140, 190), rng.int(200, 245))}"/>` +
        `<stop offset="1" stop-color="${rgb(rng.int(200, 235), rng.int(210, 235), rng.int(220, 245))}"/></linearGradient></defs>`,
      `<rect width="${W}" height="${fmt(horizon)}" fill="url(#${sky})"/>`,
    );
    // Buildings and trees on the horizon.
    for (let x = -20; x < W; x += rng.int(40, 120)) {
      const bh = rng.float(0.1, 0.35) * H;
      const bw = rng.int(40, 130);
      if (rng.chance(0.4)) {
        parts.push(
          `<ellipse cx="${x + bw / 2}" cy="${fmt(horizon - bh / 2)}" rx="${bw / 2}" ry="${fmt(bh / 2)}" fill="${rgb(rng.int(30, 70), rng.int(70, 110), rng.int(30, 60))}"/>`,
        );
      } else {
        const g = rng.int(110, 200);
        parts.push(
          `<rect x="${x}" y="${fmt(horizon - bh)}" width="${bw}" height="${fmt(bh)}" fill="${rgb(g, g - rng.int(0, 20), g - rng.int(0, 30))}"/>`,
        );
        for (let wy = horizon - bh + 8; wy < horizon - 12; wy += 16) {
          parts.push(
            `<rect x="${x + 6}" y="${fmt(wy)}" width="${bw - 12}" height="6" fill="${rgb(60, 70, 85)}" opacity="0.5"/>`,
          );
        }
      }
    }
    const road = rng.int(70, 120);
    parts.push(
      `<rect y="${fmt(horizon)}" width="${W}" height="${fmt(H - horizon)}" fill="${rgb(road, road, road + 4)}"/>`,
    );
  } else if (kind === 'garage') {
    const wall = rng.int(140, 215);
    parts.push(`<rect width="${W}" height="${H}" fill="${rgb(wall, wall - 5, wall - 12)}"/>`);
    for (let x = rng.int(0, 80); x < W; x += rng.int(120, 260)) {
      parts.push(
        `<rect x="${x}" y="0" width="${rng.int(20, 45)}" height="${H}" fill="${rgb(wall - 40, wall - 42, wall - 45)}"/>`,
      );
    }
    parts.push(
      `<rect x="0" y="${fmt(H * 0.04)}" width="${W}" height="${fmt(H * 0.02)}" fill="#f4f4e8" opacity="0.8"/>`,
    );
    const floor = rng.int(80, 150);
    parts.push(
      `<rect y="${fmt(horizon)}" width="${W}" height="${fmt(H - horizon)}" fill="${rgb(floor, floor, floor - 6)}"/>`,
    );
  } else {
    const dark = rng.int(25, 70);
    parts.push(`<rect width="${W}" height="${H}" fill="${rgb(dark, dark + 3, dark + 8)}"/>`);
    // Barrier arm and lamps of a gate.
    parts.push(
      `<rect x="0" y="${fmt(H * rng.float(0.15, 0.3))}" width="${W}" height="${fmt(H * 0.02)}" fill="#d9d9d9" opacity="0.7"/>`,
    );
    for (let i = 0; i < rng.int(1, 3); i++) {
      parts.push(
        `<circle cx="${rng.int(0, W)}" cy="${rng.int(0, Math.round(H * 0.3))}" r="${rng.int(6, 18)}" fill="#fff6d8" opacity="0.9"/>`,
      );
    }
    const floor = rng.int(50, 95);
    parts.push(
      `<rect y="${fmt(horizon)}" width="${W}" height="${fmt(H - horizon)}" fill="${rgb(floor, floor, floor)}"/>`,
    );
  }
  // Random clutter: poles, boxes, stains.
  for (let i = 0; i < rng.int(2, 6); i++) {
    const c = rgb(rng.int(40, 220), rng.int(40, 220), rng.int(40, 220));
    const op = fmt(rng.float(0.2, 0.6));
    if (rng.chance(0.5)) {
      parts.push(
        `<rect x="${rng.int(-20, W)}" y="${rng.int(0, H)}" width="${rng.int(8, 80)}" height="${rng.int(8, 160)}" fill="${c}" opacity="${op}"/>`,
      );
    } else {
      parts.push(
        `<circle cx="${rng.int(0, W)}" cy="${rng.int(0, H)}" r="${rng.int(4, 40)}" fill="${c}" opacity="${op}"/>`,
      );
    }
  }
  return parts.join('');
}

export interface CarOptions {
  /** Plate centre and size in image pixels, and the plate's rotation in degrees. */
  cx: number;
  cy: number;
  plateW: number;
  plateH: number;
  angle: number;
  /** Pixels per millimetre at the plate (plate drawings are in millimetres). */
  mm: number;
}

/** A car's size and place around the plate (plate-centred coordinates, millimetre-scaled). */
interface CarShape {
  colour: readonly [number, number, number];
  rear: boolean;
  /** Plate height at 112 mm (the unit car parts are sized in). */
  ph: number;
  /** Body left edge and width. */
  bx: number;
  bw: number;
  top: number;
  bottom: number;
}

/** A car's rear or front, drawn around the plate. Returns the SVG and the boxes of any text on it. */
export function car(rng: Rng, o: CarOptions, fonts: PlateFonts): { svg: string; texts: TextStamp[] } {
  const shape = carShape(rng, o);
  const parts = carShell(rng, shape, o);
  const lights = carLights(rng, shape, o.plateW);
  parts.push(...lights.svg, ...emblem(rng, shape.ph));
  const labels = carLabels(rng, shape, o, fonts, lights.boxes);
  const m: Matrix = rotationAbout(o.cx, o.cy, o.angle);
  const svg = `<g transform="${matrixAttr(m)}">${parts.join('')}${labels.svg.join('')}</g>`;
  return { svg, texts: labels.texts.map((t) => ({ svg: t.svg, box: transformBox(m, t.box) })) };
}

function carShape(rng: Rng, o: CarOptions): CarShape {
  const colour = rng.pick(CAR_COLOURS);
  const rear = rng.chance(0.6);
  // Car parts are sized in millimetres, so a small US plate sits on a car as wide as an EU plate's.
  const ph = o.mm * 112;
  const bw = o.mm * rng.float(1650, 1900);
  const bx = -bw / 2 + rng.float(-0.12, 0.12) * bw;
  const top = -ph * rng.float(2.6, 3.6);
  const bottom = ph * rng.float(2.4, 3.4);
  return { colour, rear, ph, bx, bw, top, bottom };
}

/** Shadow on the ground, wheels, window, body, bumper and the recess behind the plate. */
function carShell(rng: Rng, s: CarShape, o: CarOptions): string[] {
  const { colour, ph, bx, bw, top, bottom } = s;
  const parts: string[] = [];
  parts.push(
    `<ellipse cx="${fmt(bx + bw / 2)}" cy="${fmt(bottom + ph * 0.6)}" rx="${fmt(bw * 0.55)}" ry="${fmt(ph * 0.8)}" fill="#000" opacity="0.45"/>`,
  );
  for (const wx of [bx + bw * 0.12, bx + bw * 0.88]) {
    parts.push(
      `<rect x="${fmt(wx - bw * 0.08)}" y="${fmt(bottom - ph * 0.5)}" width="${fmt(bw * 0.16)}" height="${fmt(ph * 1.4)}" rx="${fmt(ph * 0.3)}" fill="#141414"/>`,
    );
  }
  const winTop = top - ph * rng.float(2.2, 3.4);
  const glass = gid(rng, 'glass');
  parts.push(
    `<defs><linearGradient id="${glass}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${rgb(60, 70, 85)}"/>` +
      `<stop offset="0.5" stop-color="${rgb(110, 125, 140)}"/><stop offset="1" stop-color="${rgb(30, 34, 42)}"/></linearGradient></defs>`,
    `<path d="M${fmt(bx + bw * 0.06)} ${fmt(top + 2)} L${fmt(bx + bw * 0.2)} ${fmt(winTop)} L${fmt(bx + bw * 0.8)} ${fmt(winTop)} L${fmt(bx + bw * 0.94)} ${fmt(top + 2)} Z" fill="${shade(colour, 0.9)}"/>`,
    `<path d="M${fmt(bx + bw * 0.11)} ${fmt(top)} L${fmt(bx + bw * 0.23)} ${fmt(winTop + ph * 0.35)} L${fmt(bx + bw * 0.77)} ${fmt(winTop + ph * 0.35)} L${fmt(bx + bw * 0.89)} ${fmt(top)} Z" fill="url(#${glass})"/>`,
  );
  const body = gid(rng, 'body');
  parts.push(
    `<defs><linearGradient id="${body}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${shade(colour, 1.08)}"/>` +
      `<stop offset="0.6" stop-color="${shade(colour, 0.95)}"/><stop offset="1" stop-color="${shade(colour, 0.75)}"/></linearGradient></defs>`,
    `<rect x="${fmt(bx)}" y="${fmt(top)}" width="${fmt(bw)}" height="${fmt(bottom - top)}" rx="${fmt(ph * 0.9)}" fill="url(#${body})"/>`,
  );
  const bumperTop = ph * rng.float(0.9, 1.3);
  const plastic = rng.chance(0.4);
  parts.push(
    `<rect x="${fmt(bx - ph * 0.1)}" y="${fmt(bumperTop)}" width="${fmt(bw + ph * 0.2)}" height="${fmt(bottom - bumperTop)}" rx="${fmt(ph * 0.5)}" fill="${plastic ? '#1c1c1e' : shade(colour, 0.82)}"/>`,
  );
  const P = o.plateW;
  parts.push(
    `<rect x="${fmt(-P * 0.6)}" y="${fmt(-o.plateH * 0.8)}" width="${fmt(P * 1.2)}" height="${fmt(o.plateH * 1.6)}" rx="${fmt(o.plateH * 0.25)}" fill="${shade(colour, 0.6)}" opacity="0.6"/>`,
  );
  return parts;
}

/** Tail or head lights (and a grille on a car's front); returns their boxes so labels keep off them. */
function carLights(rng: Rng, s: CarShape, P: number): { svg: string[]; boxes: PlateBox[] } {
  const { ph, bx, bw, top } = s;
  const svg: string[] = [];
  const lw = bw * rng.float(0.14, 0.2);
  const lh = ph * rng.float(0.9, 1.5);
  const ly = top + ph * rng.float(0.3, 0.8);
  const lamp = s.rear ? rgb(rng.int(170, 220), 20, 25) : rgb(230, 232, 225);
  const lightXs = [bx + bw * 0.04, bx + bw * 0.96 - lw];
  for (const lx of lightXs) {
    svg.push(
      `<rect x="${fmt(lx)}" y="${fmt(ly)}" width="${fmt(lw)}" height="${fmt(lh)}" rx="${fmt(lh * 0.3)}" fill="${lamp}"/>`,
      `<rect x="${fmt(lx + lw * 0.1)}" y="${fmt(ly + lh * 0.55)}" width="${fmt(lw * 0.8)}" height="${fmt(lh * 0.25)}" fill="#f2f2ee" opacity="0.7"/>`,
    );
  }
  if (!s.rear) {
    for (let y = -ph * 0.9; y > top + ph * 0.2; y -= ph * 0.35) {
      svg.push(
        `<rect x="${fmt(-P * 0.7)}" y="${fmt(y - ph * 0.12)}" width="${fmt(P * 1.4)}" height="${fmt(ph * 0.12)}" fill="#111" opacity="0.7"/>`,
      );
    }
  }
  return { svg, boxes: lightXs.map((lx) => ({ x: lx, y: ly, w: lw, h: lh })) };
}

/** The maker's emblem above the plate. */
function emblem(rng: Rng, ph: number): string[] {
  const ey = -ph * rng.float(1.5, 2.1);
  return [
    `<circle cx="0" cy="${fmt(ey)}" r="${fmt(ph * 0.42)}" fill="#c8ccd0" stroke="#555" stroke-width="${fmt(ph * 0.06)}"/>`,
    `<circle cx="0" cy="${fmt(ey)}" r="${fmt(ph * 0.22)}" fill="#4a4e55"/>`,
  ];
}

/** A model badge and a sticker: text on the body, never on or touching the plate and never off the body. */
function carLabels(
  rng: Rng,
  s: CarShape,
  o: CarOptions,
  fonts: PlateFonts,
  lights: PlateBox[],
): { svg: string[]; texts: TextStamp[] } {
  const { ph, bx, bw, top } = s;
  const P = o.plateW;
  const texts: TextStamp[] = [];
  const svg: string[] = [];
  const plateZone: PlateBox = { x: -P * 0.6, y: -o.plateH * 0.8, w: P * 1.2, h: o.plateH * 1.6 };
  const fits = (b: PlateBox, pad: number) =>
    !overlaps(b, plateZone, pad) &&
    !lights.some((l) => overlaps(b, l, pad)) &&
    b.x - pad > bx &&
    b.x + b.w + pad < bx + bw &&
    b.y - pad > top;
  if (rng.chance(0.7)) {
    const cap = ph * rng.float(0.28, 0.4);
    const word = rng.pick(BADGES);
    const fill = rng.pick(['#d8dade', '#2a2a2a', '#b0b4ba']);
    for (let attempt = 0; attempt < 4; attempt++) {
      const x = rng.chance(0.5) ? P * rng.float(0.7, 1.2) : -P * rng.float(1.0, 1.6);
      const t = textAt(fonts.labelBold, word, x, -ph * rng.float(1.2, 1.8), cap, fill);
      if (!fits(t.box, cap * 0.5)) continue;
      svg.push(t.svg);
      texts.push(t);
      break;
    }
  }
  if (rng.chance(0.35)) {
    const cap = ph * rng.float(0.22, 0.3);
    const word = rng.pick(STICKERS);
    const paper = rng.pick(['#ffd400', '#ffffff', '#8fd3ff']);
    for (let attempt = 0; attempt < 4; attempt++) {
      const x = rng.chance(0.5) ? -P * rng.float(1.2, 2.2) : P * rng.float(0.8, 1.4);
      const t = textAt(fonts.labelBold, word, x, top + ph * rng.float(1.8, 2.4), cap, '#111');
      if (!fits(t.box, cap)) continue;
      svg.push(
        `<rect x="${fmt(t.box.x - cap * 0.4)}" y="${fmt(t.box.y - cap * 0.4)}" width="${fmt(t.box.w + cap * 0.8)}" height="${fmt(t.box.h + cap * 0.8)}" rx="${fmt(cap * 0.3)}" fill="${paper}"/>`,
        t.svg,
      );
      texts.push(t);
      break;
    }
  }
  return { svg, texts };
}

/** Translation to (cx, cy) followed by rotation by `deg` about it. */
export function rotationAbout(cx: number, cy: number, deg: number): Matrix {
  const a = (deg * Math.PI) / 180;
  return [Math.cos(a), Math.sin(a), -Math.sin(a), Math.cos(a), cx, cy];
}

export function transformBox(m: Matrix, b: PlateBox): PlateBox {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [x, y] of [
    [b.x, b.y],
    [b.x + b.w, b.y],
    [b.x, b.y + b.h],
    [b.x + b.w, b.y + b.h],
  ] as const) {
    xs.push(m[0] * x + m[2] * y + m[4]);
    ys.push(m[1] * x + m[3] * y + m[5]);
  }
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return { x: x0, y: y0, w: Math.max(...xs) - x0, h: Math.max(...ys) - y0 };
}

/** A dealer's plate holder around the plate, in plate units; its text sits below the plate. */
export function dealerFrame(rng: Rng, w: number, h: number, fonts: PlateFonts): string {
  const m = h * rng.float(0.05, 0.1);
  const mb = h * rng.float(0.28, 0.38);
  const colour = rng.pick(['#151515', '#2b2b2b', '#9aa0a6', '#0d2a5c']);
  const textFill = colour === '#9aa0a6' ? '#151515' : '#e8e8e8';
  const cap = mb * 0.45;
  const lay = layoutText(fonts.labelBold, rng.pick(DEALERS), {
    capHeight: cap,
    tracking: 0.12,
    fill: textFill,
  });
  const k = lay.width > w * 0.9 ? (w * 0.9) / lay.width : 1;
  const tx = (w - lay.width * k) / 2;
  const ty = h + (mb - lay.height * k) / 2;
  return (
    `<rect x="${fmt(-m)}" y="${fmt(-m)}" width="${fmt(w + 2 * m)}" height="${fmt(h + m + mb)}" rx="${fmt(m * 1.5)}" fill="${colour}"/>` +
    `<g transform="translate(${fmt(tx)} ${fmt(ty)}) scale(${fmt(k)})">${lay.svg}</g>`
  );
}

/** A sign on the wall or a post, away from the plate. */
export function sign(
  rng: Rng,
  W: number,
  H: number,
  avoid: PlateBox,
  fonts: PlateFonts,
): TextStamp | undefined {
  const cap = H * rng.float(0.03, 0.055);
  const text = rng.pick(SIGNS);
  for (let attempt = 0; attempt < 6; attempt++) {
    const x = rng.float(0.02, 0.7) * W;
    const y = rng.float(0.03, 0.5) * H;
    const t = textAt(fonts.labelBold, text, x, y, cap, '#ffffff');
    const pad = cap * 0.5;
    const board = { x: x - pad, y: y - pad, w: t.box.w + 2 * pad, h: t.box.h + 2 * pad };
    if (board.x + board.w > W || overlaps(board, avoid, cap)) continue;
    const bg = rng.pick(['#0b4ea2', '#106b3a', '#b01c1c', '#222222', '#0c7c8c']);
    return {
      svg: `<rect x="${fmt(board.x)}" y="${fmt(board.y)}" width="${fmt(board.w)}" height="${fmt(board.h)}" rx="${fmt(pad * 0.6)}" fill="${bg}"/>${t.svg}`,
      box: t.box,
    };
  }
  return undefined;
}

/** The camera's on-screen time stamp, in a corner. */
export function timestamp(
  rng: Rng,
  W: number,
  H: number,
  avoid: PlateBox,
  fonts: PlateFonts,
): TextStamp | undefined {
  const d = new Date(Date.UTC(2025, 0, 1) + rng.int(0, 364 * 86400) * 1000);
  const text = `${d.toISOString().slice(0, 19).replace('T', ' ')}  CAM ${String(rng.int(1, 16)).padStart(2, '0')}`;
  const cap = Math.max(7, H * rng.float(0.018, 0.028));
  const y = rng.chance(0.5) ? cap * 0.8 : H - cap * 2.2;
  const t = textAt(fonts.label, text, cap, y, cap, '#f4f4f4');
  if (t.box.x + t.box.w > W || overlaps(t.box, avoid, cap)) return undefined;
  const shadow = textAt(fonts.label, text, cap + 1, y + 1, cap, '#000');
  return { svg: shadow.svg + t.svg, box: t.box };
}

/** Uneven light: a sun or shadow gradient across the frame and a vignette. */
export function lighting(rng: Rng, W: number, H: number, strength: number): string {
  const parts: string[] = [];
  const lin = gid(rng, 'light');
  const a = rng.float(0, Math.PI * 2);
  const x1 = 0.5 - 0.5 * Math.cos(a);
  const y1 = 0.5 - 0.5 * Math.sin(a);
  const bright = rng.chance(0.5);
  parts.push(
    `<defs><linearGradient id="${lin}" x1="${fmt(x1)}" y1="${fmt(y1)}" x2="${fmt(1 - x1)}" y2="${fmt(1 - y1)}">` +
      `<stop offset="0" stop-color="${bright ? '#fffbe8' : '#000'}" stop-opacity="${fmt(rng.float(0.1, 0.35) * strength)}"/>` +
      `<stop offset="1" stop-color="${bright ? '#fffbe8' : '#000'}" stop-opacity="0"/></linearGradient></defs>`,
    `<rect width="${W}" height="${H}" fill="url(#${lin})"/>`,
  );
  const vig = gid(rng, 'vig');
  parts.push(
    `<defs><radialGradient id="${vig}" cx="0.5" cy="0.5" r="0.75"><stop offset="0.55" stop-color="#000" stop-opacity="0"/>` +
      `<stop offset="1" stop-color="#000" stop-opacity="${fmt(rng.float(0.1, 0.4) * strength)}"/></radialGradient></defs>`,
    `<rect width="${W}" height="${H}" fill="url(#${vig})"/>`,
  );
  return parts.join('');
}

/** Light on the plate itself, in plate units: a sheen across the reflective film, sometimes a shadow edge. */
export function plateLight(rng: Rng, w: number, h: number, strength: number): string {
  const id = gid(rng, 'sheen');
  const a = rng.float(-0.6, 0.6);
  const x1 = 0.5 - 0.5 * Math.cos(a);
  const y1 = 0.5 - 0.5 * Math.sin(a);
  const peak = rng.float(0.2, 0.8);
  const parts = [
    `<defs><linearGradient id="${id}" x1="${fmt(x1)}" y1="${fmt(y1)}" x2="${fmt(1 - x1)}" y2="${fmt(1 - y1)}">` +
      `<stop offset="0" stop-color="#fff" stop-opacity="0"/>` +
      `<stop offset="${fmt(peak)}" stop-color="#fff" stop-opacity="${fmt(rng.float(0.05, 0.3) * strength)}"/>` +
      `<stop offset="1" stop-color="#fff" stop-opacity="0"/></linearGradient></defs>`,
    `<rect width="${w}" height="${h}" rx="8" fill="url(#${id})"/>`,
  ];
  if (rng.chance(0.3)) {
    // Shadow of the bumper lip or the holder across the top of the plate.
    const depth = h * rng.float(0.15, 0.45);
    const tilt = h * rng.float(-0.2, 0.2);
    parts.push(
      `<path d="M0 0 H${w} V${fmt(Math.max(0, depth + tilt))} L0 ${fmt(Math.max(0, depth - tilt))} Z" fill="#000" opacity="${fmt(rng.float(0.1, 0.3) * strength)}"/>`,
    );
  }
  return parts.join('');
}
