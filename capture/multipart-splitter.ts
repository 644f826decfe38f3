/**
 * Cuts an MJPEG-over-HTTP body (`multipart/x-mixed-replace; boundary=...`) into its parts. Uses each part's
 * Content-Length when the camera sends one, else the next boundary. Tolerates the usual camera sloppiness:
 * a boundary parameter that already starts with `--`, quoted boundaries, LF instead of CRLF.
 */
export class MultipartSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly bare: Buffer;
  private bodyLength: number | undefined;
  private inBody = false;

  constructor(
    boundary: string,
    private readonly maxPartBytes = 32 * 1024 * 1024,
  ) {
    this.bare = Buffer.from(boundary.replace(/^"|"$/g, '').replace(/^-+/, ''), 'latin1');
    if (this.bare.length === 0) throw new Error('empty multipart boundary');
  }

  /** The boundary parameter of a Content-Type header, or undefined when it is not multipart. */
  static boundaryOf(contentType: string | null): string | undefined {
    if (!contentType || !/^multipart\//i.test(contentType)) return undefined;
    const m = /boundary=("?)([^";]+)\1/i.exec(contentType);
    return m?.[2]?.trim();
  }

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      if (!this.inBody) {
        const at = this.buf.indexOf(this.bare);
        if (at < 0) {
          this.buf = this.buf.subarray(Math.max(0, this.buf.length - this.bare.length));
          return out;
        }
        const crlf = this.buf.indexOf('\r\n\r\n', at);
        const lf = this.buf.indexOf('\n\n', at);
        const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
        if (end < 0) {
          if (this.buf.length - at > 16 * 1024) this.buf = this.buf.subarray(at + this.bare.length);
          return out;
        }
        const head = this.buf.subarray(at + this.bare.length, end).toString('latin1');
        const len = /content-length:\s*(\d+)/i.exec(head);
        this.bodyLength = len ? Number(len[1]) : undefined;
        this.buf = this.buf.subarray(end);
        this.inBody = true;
      }
      if (this.bodyLength !== undefined) {
        if (this.buf.length < this.bodyLength) return out;
        out.push(Buffer.from(this.buf.subarray(0, this.bodyLength)));
        this.buf = this.buf.subarray(this.bodyLength);
        this.inBody = false;
        continue;
      }
      const next = this.buf.indexOf(this.bare);
      if (next < 0) {
        if (this.buf.length > this.maxPartBytes) {
          this.buf = Buffer.alloc(0);
          this.inBody = false;
        }
        return out;
      }
      let end = next;
      while (end > 0 && this.buf[end - 1] === 0x2d) end -= 1; // the delimiter's leading "--"
      if (end > 0 && this.buf[end - 1] === 0x0a) end -= 1;
      if (end > 0 && this.buf[end - 1] === 0x0d) end -= 1;
      out.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(next);
      this.inBody = false;
    }
  }
}
