/**
 * sharp as every frame decoder in this project uses it. libvips' operation cache keeps the results of
 * recent operations in case the same operation runs again; camera frames are never decoded twice, so the
 * cache only costs: measured 0.2 ms CPU per sharp call (0.67 → 0.48 ms for a tiny JPEG; 5.0 → 4.8 ms for
 * a 1080p static-frame thumbnail) and up to 50 MB of memory per process. It is a process-wide libvips
 * setting: switched off once, by the first frame decoder loaded.
 */
import sharp from 'sharp';

sharp.cache(false);

export { sharp as frameSharp };
