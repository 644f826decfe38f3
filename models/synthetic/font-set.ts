import { fontMetrics, LABEL_FONT, LABEL_FONT_BOLD, PLATE_FONT, PLATE_FONT_MONO } from './fonts.ts';
import type { PlateFonts } from './plate-styles.ts';

/** Measures (once per process) the four fonts the scenes use. */
export async function loadFonts(): Promise<PlateFonts> {
  const [plate, plateMono, label, labelBold] = await Promise.all([
    fontMetrics(PLATE_FONT),
    fontMetrics(PLATE_FONT_MONO),
    fontMetrics(LABEL_FONT),
    fontMetrics(LABEL_FONT_BOLD),
  ]);
  return { plate, plateMono, label, labelBold };
}
