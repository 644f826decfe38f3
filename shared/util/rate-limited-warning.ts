/** Logs at most once per interval; the next line says how many were suppressed meanwhile. */
export class RateLimitedWarning {
  private last = 0;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly log: (obj: Record<string, unknown>, msg: string) => void,
  ) {}

  warn(obj: Record<string, unknown>, msg: string, now = Date.now()): void {
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.last = now;
    this.log({ ...obj, suppressed: this.suppressed }, msg);
    this.suppressed = 0;
  }
}
