import { jpegEnd } from '../ingest/replay/sources.ts';

/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg `-f image2pipe -c:v mjpeg`, or the bodies of an MJPEG
 * multipart stream) into whole images: each starts at an SOI marker (FF D8) and ends at its EOI (FF D9),
 * found by walking the marker segments (`jpegEnd`), so FF D9 bytes inside tables are not taken for the end.
 * Bytes before an SOI and malformed images are skipped (counted in `discardedBytes`); an image that grows
 * past `maxBytes` is dropped and the splitter resynchronises on the next SOI. No temporary files.
 */
export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes thrown away while looking for the next image (garbage, malformed or oversized images). */
  discardedBytes = 0;

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  /** Adds a chunk and returns the images it completed (possibly none). */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const soi = this.findSoi(0);
      if (soi < 0) {
        // Keep a trailing 0xFF: it may be the first half of the next SOI.
        const keep = this.buf.length > 0 && this.buf[this.buf.length - 1] === 0xff ? 1 : 0;
        this.discard(this.buf.length - keep);
        return out;
      }
      this.discard(soi);
      let end: number;
      try {
        end = jpegEnd(this.buf);
      } catch {
        // Malformed: skip this SOI and look for the next one.
        this.discard(2);
        continue;
      }
      if (end < 0) {
        if (this.buf.length > this.maxBytes) {
          this.discard(2);
          continue;
        }
        return out;
      }
      out.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
    }
  }

  /** Bytes held for an image not yet complete. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  private findSoi(from: number): number {
    let i = this.buf.indexOf(0xff, from);
    while (i >= 0 && i + 1 < this.buf.length) {
      if (this.buf[i + 1] === 0xd8) return i;
      i = this.buf.indexOf(0xff, i + 1);
    }
    return -1;
  }

  private discard(n: number): void {
    if (n <= 0) return;
    this.discardedBytes += n;
    this.buf = this.buf.subarray(n);
  }
}
