import type { ImageMime } from '../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../shared/errors.ts';

/**
 * Magic-number detection and dimension reading straight from the image header, without decoding pixels.
 * JPEG: walks the segment markers to the first SOFn; PNG: the IHDR chunk; WebP: the VP8 / VP8L / VP8X chunk.
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface ImageSize {
  width: number;
  height: number;
}

/** The image type the bytes start with, or undefined. */
export function detectImageType(buf: Buffer): ImageMime | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (
    buf.length >= 12 &&
    buf.toString('latin1', 0, 4) === 'RIFF' &&
    buf.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'image/webp';
  }
  return undefined;
}

/** Reads width and height from the header; undefined when the header is truncated or malformed. */
export function readImageSize(buf: Buffer, mime: ImageMime): ImageSize | undefined {
  switch (mime) {
    case 'image/jpeg':
      return jpegSize(buf);
    case 'image/png':
      return pngSize(buf);
    case 'image/webp':
      return webpSize(buf);
  }
}

function pngSize(buf: Buffer): ImageSize | undefined {
  if (buf.length < 24 || buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

function jpegSize(buf: Buffer): ImageSize | undefined {
  let pos = 2;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return undefined;
    let marker = buf[pos + 1]!;
    // Fill bytes: any number of 0xFF before the marker code.
    while (marker === 0xff && pos + 2 < buf.length) {
      pos += 1;
      marker = buf[pos + 1]!;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or scan data before any frame header
    if (pos + 4 > buf.length) return undefined;
    const length = buf.readUInt16BE(pos + 2);
    if (length < 2) return undefined;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 9 > buf.length) return undefined;
      return { height: buf.readUInt16BE(pos + 5), width: buf.readUInt16BE(pos + 7) };
    }
    pos += 2 + length;
  }
  return undefined;
}

function webpSize(buf: Buffer): ImageSize | undefined {
  if (buf.length < 30) return undefined;
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8X') {
    return { width: 1 + buf.readUIntLE(24, 3), height: 1 + buf.readUIntLE(27, 3) };
  }
  if (chunk === 'VP8L') {
    if (buf[20] !== 0x2f) return undefined;
    const bits = buf.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ') {
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) return undefined;
    return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
  }
  return undefined;
}

/**
 * Checks that `buf` really is the declared image type and is not a decompression bomb.
 * Throws EMPTY_BODY, IMAGE_MISMATCH (400), IMAGE_INVALID or IMAGE_TOO_MANY_PIXELS (422).
 */
export function inspectImage(buf: Buffer, declared: ImageMime, maxPixels: number, what: string): ImageSize {
  if (buf.length === 0) {
    throw new PlatestreamError('EMPTY_BODY', `${what}: the image is empty; send the image bytes as the body`);
  }
  const actual = detectImageType(buf);
  if (actual !== declared) {
    const found = actual ? `looks like ${actual}` : 'starts with no known image signature';
    throw new PlatestreamError(
      'IMAGE_MISMATCH',
      `${what}: declared ${declared} but the body ${found}; send the Content-Type that matches the bytes`,
    );
  }
  const size = readImageSize(buf, declared);
  if (!size) {
    throw new PlatestreamError('IMAGE_INVALID', `${what}: the ${declared} header is truncated or malformed`);
  }
  if (size.width < 1 || size.height < 1) {
    throw new PlatestreamError(
      'IMAGE_INVALID',
      `${what}: the ${declared} header says ${size.width}x${size.height}; width and height must be at least 1`,
    );
  }
  if (size.width * size.height > maxPixels) {
    throw new PlatestreamError(
      'IMAGE_TOO_MANY_PIXELS',
      `${what}: ${size.width}x${size.height} is ${size.width * size.height} pixels, more than the ${maxPixels} allowed (LPR_INGEST_MAX_PIXELS); scale the image down`,
    );
  }
  return size;
}
