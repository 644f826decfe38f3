import type { RgbImage } from '../image/decode.ts';
import type { DetectedBox, TextDetector } from './detector.ts';

/**
 * A plate "detector" for fixed cameras whose plates always cross one known region (a gate, a barrier):
 * it returns that region as a plate box, scaled to the frame. Plugs in through `RecognizerPlugins`.
 */
export class RoiPlateDetector implements TextDetector {
  readonly id = 'roi';

  /** `roi` in fractions of the frame (0..1), so it holds for any resolution of the camera. */
  constructor(private readonly roi: { x: number; y: number; w: number; h: number }) {}

  async detect(img: RgbImage): Promise<DetectedBox[]> {
    const { x, y, w, h } = this.roi;
    const pw = w * img.width;
    const ph = h * img.height;
    return [
      {
        rect: {
          cx: (x + w / 2) * img.width,
          cy: (y + h / 2) * img.height,
          w: Math.max(pw, ph),
          h: Math.min(pw, ph),
          angle: 0,
        },
        score: 1,
        isPlate: true,
      },
    ];
  }
}
