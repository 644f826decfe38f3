import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { JpegSplitter } from '../jpeg-splitter.ts';
import { MultipartSplitter } from '../multipart-splitter.ts';

let jpegs: Buffer[] = [];

beforeAll(async () => {
  jpegs = await Promise.all(
    [10, 120, 240].map((v, i) =>
      sharp({
        create: { width: 64 + i * 8, height: 48, channels: 3, background: { r: v, g: 255 - v, b: 40 } },
      })
        .jpeg({ quality: 80 })
        .toBuffer(),
    ),
  );
});

/** Feeds `data` in chunks of `size` bytes. */
function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('JpegSplitter', () => {
  it('cuts concatenated JPEGs apart at any chunk size, bytes unchanged', () => {
    const stream = Buffer.concat(jpegs);
    for (const size of [1, 7, 100, 4096, stream.length]) {
      const s = new JpegSplitter();
      const got = chunks(stream, size).flatMap((c) => s.push(c));
      expect(
        got.map((b) => b.toString('hex')),
        `chunk size ${size}`,
      ).toEqual(jpegs.map((b) => b.toString('hex')));
      expect(s.pendingBytes).toBe(0);
    }
  });

  it('skips garbage and a truncated image, then resynchronises on the next SOI', () => {
    const truncated = jpegs[0]!.subarray(0, 40);
    const stream = Buffer.concat([
      Buffer.from('noise\xff\x00'),
      truncated,
      jpegs[1]!,
      Buffer.from([0xff, 0xd9]),
      jpegs[2]!,
    ]);
    const s = new JpegSplitter();
    const got = chunks(stream, 33).flatMap((c) => s.push(c));
    expect(got.map((b) => b.toString('hex'))).toEqual([jpegs[1]!, jpegs[2]!].map((b) => b.toString('hex')));
    expect(s.discardedBytes).toBeGreaterThan(40);
  });

  it('drops an image that grows past the limit', () => {
    const s = new JpegSplitter(100);
    const got = chunks(Buffer.concat([jpegs[0]!.subarray(0, 300), jpegs[1]!]), 50).flatMap((c) => s.push(c));
    // jpegs[1] is larger than 100 bytes too, so nothing comes out and memory stays bounded.
    expect(got).toEqual([]);
    expect(s.pendingBytes).toBeLessThan(200);
  });
});

describe('MultipartSplitter', () => {
  const part = (b: Buffer, boundary: string, withLength: boolean) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${b.length}\r\n` : ''}\r\n`,
      ),
      b,
      Buffer.from('\r\n'),
    ]);

  for (const withLength of [true, false]) {
    it(`cuts an MJPEG body into its images (${withLength ? 'with' : 'without'} Content-Length)`, () => {
      const boundary = 'myboundary';
      const body = Buffer.concat([
        ...jpegs.map((j) => part(j, boundary, withLength)),
        Buffer.from(`--${boundary}\r\n`),
      ]);
      for (const size of [1, 13, 1000, body.length]) {
        const s = new MultipartSplitter(
          MultipartSplitter.boundaryOf(`multipart/x-mixed-replace; boundary=${boundary}`)!,
        );
        const got = chunks(body, size).flatMap((c) => s.push(c));
        expect(
          got.map((b) => b.toString('hex')),
          `chunk size ${size}`,
        ).toEqual(jpegs.map((b) => b.toString('hex')));
      }
    });
  }

  it('accepts a quoted boundary parameter that already starts with --', () => {
    const boundary = MultipartSplitter.boundaryOf('multipart/x-mixed-replace;boundary="--frame"');
    expect(boundary).toBe('--frame');
    const s = new MultipartSplitter(boundary!);
    // Cameras that send the parameter as the delimiter itself: "--frame", not "----frame".
    const body = Buffer.concat(
      jpegs.map((j) =>
        Buffer.concat([Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'), j, Buffer.from('\r\n')]),
      ),
    );
    const got = s.push(Buffer.concat([body, Buffer.from('--frame\r\n')]));
    expect(got.map((b) => b.toString('hex'))).toEqual(jpegs.map((b) => b.toString('hex')));
    expect(MultipartSplitter.boundaryOf('image/jpeg')).toBeUndefined();
  });
});
