import { type FontMetrics, layoutText } from './fonts.ts';
import type { PlatePattern, PlateText } from './patterns.ts';
import type { Rng } from './prng.ts';
import { fmt, rgb } from './svg.ts';

/** Plate looks the generator can draw. */
export const PLATE_STYLES = ['eu', 'eu-yellow', 'us', 'two-tone'] as const;
export type PlateStyle = (typeof PLATE_STYLES)[number];

export function isPlateStyle(s: string): s is PlateStyle {
  return (PLATE_STYLES as readonly string[]).includes(s);
}

/** Default text patterns per style (see patterns.ts for the syntax). */
export const DEFAULT_PATTERNS: Readonly<Record<PlateStyle, readonly PlatePattern[]>> = {
  // France/Italy (AB-123-CD), Germany-like (M AB 123), Spain (1234 BCD), Poland-like, short vanity-like.
  eu: ['LL-999-LL', 'L LL 999', 'LL LL 999', '9999 LLL', 'LL 99999', 'LLL 9999', 'L9 LLL'],
  // UK (AB12 CDE), Netherlands (12-ABC-3, AB-123-C).
  'eu-yellow': ['LL99 LLL', '99-LLL-9', 'LL-999-L', 'L999 LLL'],
  // ABC1234, 7ABC123, ABC 123, 123 ABC.
  us: ['LLL 9999', '9LLL999', 'LLL 999', '999 LLL', 'LLL-9999', '99L 999'],
  'two-tone': ['LL 9999', 'LLL 999', 'L 99999', 'LL-999-LL'],
};

export interface PlateFonts {
  plate: FontMetrics;
  plateMono: FontMetrics;
  label: FontMetrics;
  labelBold: FontMetrics;
}

/** A plate drawn in its own coordinates: (0,0)-(w,h) is the plate outline, the annotated box. */
export interface PlateDrawing {
  w: number;
  h: number;
  /** Height of the main text's capital letters, in plate units. */
  charHeight: number;
  svg: string;
}

const EU_COUNTRIES = ['D', 'F', 'NL', 'B', 'I', 'E', 'PL', 'CZ', 'A', 'L', 'P', 'SK', 'IRL', 'FIN'];
const US_STATES: readonly (readonly [string, string])[] = [
  ['CALIFORNIA', 'dmv.ca.gov'],
  ['TEXAS', 'The Lone Star State'],
  ['FLORIDA', 'Sunshine State'],
  ['ILLINOIS', 'Land of Lincoln'],
  ['OREGON', 'Pacific Wonderland'],
  ['NEW YORK', 'Excelsior'],
  ['OHIO', 'Birthplace of Aviation'],
  ['ARIZONA', 'Grand Canyon State'],
  ['NEVADA', 'The Silver State'],
  ['GEORGIA', 'Peach State'],
  ['COLORADO', 'Colorful'],
  ['MAINE', 'Vacationland'],
];
const TEXT_COLOURS = ['#101010', '#0d1f5c', '#10206e', '#6e0f12', '#0f4a24', '#1b1b3a'];

/**
 * Lays out the main plate text centred in a box; condenses further when it would not fit, so any font
 * gives a plate-like line.
 */
function plateText(
  metrics: FontMetrics,
  display: string,
  box: { x: number; y: number; w: number; h: number },
  fill: string,
  rng: Rng,
): string {
  const capHeight = box.h;
  let condense = rng.float(0.78, 0.95);
  const tracking = rng.float(0.06, 0.12);
  const spaceWidth = rng.float(0.3, 0.45);
  let lay = layoutText(metrics, display, { capHeight, condense, tracking, spaceWidth, capFit: true, fill });
  if (lay.width > box.w) {
    condense *= box.w / lay.width;
    lay = layoutText(metrics, display, {
      capHeight,
      condense,
      tracking: tracking * (box.w / lay.width),
      spaceWidth,
      capFit: true,
      fill,
    });
  }
  const x = box.x + (box.w - lay.width) / 2;
  const y = box.y + (box.h - lay.height) / 2;
  return `<g transform="translate(${fmt(x)} ${fmt(y)})">${lay.svg}</g>`;
}

/** A short line of secondary text fitted into a box (state names, slogans, country codes). */
export function fittedText(
  metrics: FontMetrics,
  text: string,
  box: { x: number; y: number; w: number; h: number },
  fill: string,
  align: 'start' | 'middle' = 'middle',
): string {
  let lay = layoutText(metrics, text, { capHeight: box.h, tracking: 0.1, fill });
  if (lay.width > box.w && lay.width > 0) {
    const k = box.w / lay.width;
    lay = layoutText(metrics, text, { capHeight: box.h * k, tracking: 0.1, fill });
  }
  const x = align === 'middle' ? box.x + (box.w - lay.width) / 2 : box.x;
  const y = box.y + (box.h - lay.height) / 2;
  return `<g transform="translate(${fmt(x)} ${fmt(y)})">${lay.svg}</g>`;
}

function euPlate(t: PlateText, rng: Rng, fonts: PlateFonts, yellow: boolean): PlateDrawing {
  const w = 520;
  const h = 112;
  const band = !yellow || rng.chance(0.6);
  const bg = yellow
    ? rgb(rng.int(240, 252), rng.int(200, 218), rng.int(0, 40))
    : rgb(rng.int(236, 250), rng.int(236, 250), rng.int(232, 246));
  const border = rng.chance(0.7);
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${w}" height="${h}" rx="8" fill="${bg}"/>`);
  if (border)
    parts.push(
      `<rect x="4" y="4" width="${w - 8}" height="${h - 8}" rx="6" fill="none" stroke="#111" stroke-width="3"/>`,
    );
  let x0 = 14;
  if (band) {
    const bw = 46;
    parts.push(`<path d="M8 0 H${bw} V${h} H8 A8 8 0 0 1 0 ${h - 8} V8 A8 8 0 0 1 8 0 Z" fill="#0a3a9e"/>`);
    const cx = bw / 2 + 2;
    const cy = 30;
    for (let i = 0; i < 12; i++) {
      const a = (i / 12) * Math.PI * 2;
      parts.push(
        `<circle cx="${fmt(cx + 13 * Math.cos(a))}" cy="${fmt(cy + 13 * Math.sin(a))}" r="2.4" fill="#f6d000"/>`,
      );
    }
    const code = rng.pick(EU_COUNTRIES);
    parts.push(fittedText(fonts.labelBold, code, { x: 5, y: 66, w: bw - 8, h: 24 }, '#f2f2f2'));
    x0 = bw + 10;
  }
  parts.push(plateText(fonts.plate, t.display, { x: x0, y: 18, w: w - x0 - 14, h: 76 }, '#121212', rng));
  return { w, h, charHeight: 76, svg: parts.join('') };
}

function usPlate(t: PlateText, rng: Rng, fonts: PlateFonts): PlateDrawing {
  const w = 300;
  const h = 150;
  const [state, slogan] = rng.pick(US_STATES);
  const textFill = rng.pick(TEXT_COLOURS);
  const accent = rng.pick(['#a01818', '#12307a', '#111111', '#1d5e2e', '#6a2a7a']);
  const parts: string[] = [];
  const bgKind = rng.int(0, 3);
  if (bgKind === 0) {
    parts.push(
      `<rect width="${w}" height="${h}" rx="10" fill="${rgb(rng.int(238, 252), rng.int(238, 252), rng.int(238, 252))}"/>`,
    );
  } else {
    const top =
      bgKind === 1
        ? rgb(rng.int(150, 200), rng.int(190, 225), rng.int(230, 250))
        : rgb(250, rng.int(220, 240), rng.int(160, 200));
    const id = `us${rng.int(0, 1e9)}`;
    parts.push(
      `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/>` +
        `<stop offset="0.55" stop-color="#fbfbf8"/><stop offset="1" stop-color="#f4f4ef"/></linearGradient></defs>` +
        `<rect width="${w}" height="${h}" rx="10" fill="url(#${id})"/>`,
    );
    if (bgKind === 2) {
      // Pale hills behind the text, as on many state plates.
      const pts: string[] = [`0,${h}`];
      for (let x = 0; x <= w; x += 30) pts.push(`${x},${fmt(h - rng.float(20, 55))}`);
      pts.push(`${w},${h}`);
      parts.push(
        `<polygon points="${pts.join(' ')}" fill="${rgb(rng.int(190, 225), rng.int(205, 235), rng.int(190, 220))}" opacity="0.7"/>`,
      );
    }
    if (bgKind === 3) {
      parts.push(
        `<circle cx="${rng.int(40, 260)}" cy="${rng.int(50, 100)}" r="${rng.int(25, 45)}" fill="#f6c75a" opacity="0.35"/>`,
      );
    }
  }
  parts.push(
    `<rect x="2.5" y="2.5" width="${w - 5}" height="${h - 5}" rx="9" fill="none" stroke="${accent}" stroke-width="3"/>`,
  );
  // Bolt holes and registration stickers: small marks and digits that must not be read as the plate.
  for (const cx of [45, w - 45]) parts.push(`<circle cx="${cx}" cy="14" r="5" fill="#777" opacity="0.8"/>`);
  if (rng.chance(0.7)) {
    const sx = rng.chance(0.5) ? 8 : w - 48;
    parts.push(
      `<rect x="${sx}" y="6" width="40" height="26" rx="2" fill="${rng.pick(['#e3342f', '#38c172', '#3490dc', '#ffb400'])}"/>`,
    );
    parts.push(
      fittedText(fonts.labelBold, String(rng.int(24, 29)), { x: sx + 6, y: 11, w: 28, h: 15 }, '#111'),
    );
  }
  parts.push(fittedText(fonts.labelBold, state, { x: 60, y: 9, w: 180, h: 19 }, accent));
  const mono = rng.chance(0.35);
  parts.push(
    plateText(
      mono ? fonts.plateMono : fonts.plate,
      t.display,
      { x: 16, y: 42, w: w - 32, h: 74 },
      textFill,
      rng,
    ),
  );
  parts.push(fittedText(fonts.label, slogan, { x: 50, y: 127, w: 200, h: 11 }, accent));
  return { w, h, charHeight: 74, svg: parts.join('') };
}

function twoTonePlate(t: PlateText, rng: Rng, fonts: PlateFonts): PlateDrawing {
  const w = 420;
  const h = 120;
  const frame = rng.pick(['#0c5a2a', '#8c1010', '#0b2f7a', '#161616', '#6b3a00']);
  const field = rng.pick(['#f7f7f2', '#fbf3d0', '#f2f6fa']);
  const fw = rng.float(9, 13);
  const parts = [
    `<rect width="${w}" height="${h}" rx="10" fill="${frame}"/>`,
    `<rect x="${fmt(fw)}" y="${fmt(fw)}" width="${fmt(w - 2 * fw)}" height="${fmt(h - 2 * fw)}" rx="5" fill="${field}"/>`,
    `<rect x="${fmt(fw + 4)}" y="${fmt(fw + 4)}" width="${fmt(w - 2 * fw - 8)}" height="${fmt(h - 2 * fw - 8)}" rx="3" fill="none" stroke="${frame}" stroke-width="1.5"/>`,
  ];
  const charHeight = h - 2 * fw - 28;
  parts.push(
    plateText(
      fonts.plate,
      t.display,
      { x: fw + 16, y: fw + 14, w: w - 2 * fw - 32, h: charHeight },
      frame,
      rng,
    ),
  );
  return { w, h, charHeight, svg: parts.join('') };
}

export function drawPlate(style: PlateStyle, t: PlateText, rng: Rng, fonts: PlateFonts): PlateDrawing {
  switch (style) {
    case 'eu':
      return euPlate(t, rng, fonts, false);
    case 'eu-yellow':
      return euPlate(t, rng, fonts, true);
    case 'us':
      return usPlate(t, rng, fonts);
    case 'two-tone':
      return twoTonePlate(t, rng, fonts);
  }
}
