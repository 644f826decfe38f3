import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../codec/frame-codec.ts';
import { isPlatestreamError } from '../errors.ts';

const asBuffers = (fields: (string | Buffer)[]) =>
  fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)));

describe('frame codec', () => {
  it('round-trips binary images untouched', () => {
    const img = randomBytes(4096);
    const enc = encodeFrame({
      camera: 'gate-1',
      ts: 1700000000123,
      mime: 'image/jpeg',
      img,
      seq: 7,
      meta: { lane: 2 },
    });
    expect(enc[enc.indexOf('img') + 1]).toBe(img);
    const dec = decodeFrame('1-0', asBuffers(enc));
    expect(dec.img.equals(img)).toBe(true);
    expect(dec).toMatchObject({
      id: '1-0',
      camera: 'gate-1',
      ts: 1700000000123,
      mime: 'image/jpeg',
      seq: 7,
      meta: { lane: 2 },
    });
  });

  it.each([
    [['ts', '1', 'mime', 'image/png', 'img', 'x'], /camera.*missing/],
    [['camera', '../etc', 'ts', '1', 'mime', 'image/png', 'img', 'x'], /camera/],
    [['camera', 'c', 'ts', 'yesterday', 'mime', 'image/png', 'img', 'x'], /ts/],
    [['camera', 'c', 'ts', '1', 'mime', 'image/gif', 'img', 'x'], /mime/],
    [['camera', 'c', 'ts', '1', 'mime', 'image/png'], /img.*missing/],
    [['camera', 'c', 'ts', '1', 'mime', 'image/png', 'img', ''], /img.*empty/],
    [['camera', 'c', 'ts', '1', 'mime', 'image/png', 'img', 'x', 'seq', '-1'], /seq/],
    [['camera', 'c', 'ts', '1', 'mime', 'image/png', 'img', 'x', 'meta', '{'], /meta.*JSON/],
    [['camera', 'c', 'ts', '1', 'mime', 'image/png', 'img', 'x', 'meta', '[1]'], /meta.*object/],
  ])('rejects corrupt entry %#', (fields, re) => {
    let err: unknown;
    try {
      decodeFrame('5-1', asBuffers(fields as string[]));
    } catch (e) {
      err = e;
    }
    expect(isPlatestreamError(err, 'FRAME_DECODE')).toBe(true);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).toContain('frame 5-1');
  });
});
