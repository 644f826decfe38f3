/**
 * Synthetic plate photos with known text and box: for tests, the demo and the eval harness.
 * See docs/synthetic.md.
 */
export {
  annotationLine,
  generateSet,
  itemName,
  itemSeed,
  MAX_SET_COUNT,
  type SetItem,
  type SetOptions,
  type WriteResult,
  writeDataset,
} from './dataset.ts';
export { DEMO_SET_DEFAULTS, type DemoSetOptions, demoFrames, demoImages } from './demo-set.ts';
export {
  DEFAULT_LETTERS,
  DIGITS,
  fillPattern,
  matchesPattern,
  normalisePlate,
  type PlatePattern,
  validatePattern,
} from './patterns.ts';
export { DEFAULT_PATTERNS, isPlateStyle, PLATE_STYLES, type PlateStyle } from './plate-styles.ts';
export { deriveSeed, Rng, type Seed } from './prng.ts';
export {
  renderScene,
  SCENE_DEFAULTS,
  type SceneOptions,
  type SceneParams,
  type SceneResult,
} from './render.ts';
