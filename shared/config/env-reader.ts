import { PlatestreamError } from '../errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values out of an environment, collecting every problem instead of stopping at the first.
 * Components describe their options with it; `finish()` throws one CONFIG_INVALID error listing all.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env = process.env) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }

  string(name: string, def: string, opts: { pattern?: RegExp; hint?: string } = {}): string {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (opts.pattern && !opts.pattern.test(v)) {
      this.problem(name, `"${v}" is not allowed; expected ${opts.hint ?? String(opts.pattern)}`);
      return def;
    }
    return v;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, def: number, opts: { min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) {
      this.problem(name, `"${v}" is not an integer${rangeHint(opts)}`);
      return def;
    }
    const n = Number(v);
    if (
      (opts.min !== undefined && n < opts.min) ||
      (opts.max !== undefined && n > opts.max) ||
      !Number.isSafeInteger(n)
    ) {
      this.problem(name, `${n} is out of range${rangeHint(opts)}`);
      return def;
    }
    return n;
  }

  number(name: string, def: number, opts: { min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      this.problem(name, `"${v}" is not a number${rangeHint(opts)}`);
      return def;
    }
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      this.problem(name, `${n} is out of range${rangeHint(opts)}`);
      return def;
    }
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    this.problem(name, `"${v}" is not a boolean; use true or false`);
    return def;
  }

  /** A byte size: a plain integer or a number with k/KB/m/MB/g/GB (binary units), e.g. "10MB". */
  bytes(name: string, def: number, opts: { min?: number; max?: number } = {}): number {
    const raw = this.raw(name);
    if (raw === undefined) return def;
    const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(raw);
    const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      this.problem(name, `"${raw}" is not a size; use bytes or a number with KB, MB or GB (e.g. 10MB)`);
      return def;
    }
    const n = Math.floor(Number(m[1]) * unit);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      this.problem(name, `${n} bytes is out of range${rangeHint(opts)}`);
      return def;
    }
    return n;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problem(name, `"${v}" is not one of ${allowed.join(', ')}`);
      return def;
    }
    return v as T;
  }

  /** Throws one CONFIG_INVALID error listing every problem seen so far. */
  finish(): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((p) => `  - ${p}`).join('\n');
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `Invalid configuration (${this.problems.length} problem${this.problems.length > 1 ? 's' : ''}):\n${list}`,
      { details: { problems: [...this.problems] } },
    );
  }
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

function rangeHint(opts: { min?: number; max?: number }): string {
  if (opts.min !== undefined && opts.max !== undefined) return ` (allowed: ${opts.min}..${opts.max})`;
  if (opts.min !== undefined) return ` (allowed: >= ${opts.min})`;
  if (opts.max !== undefined) return ` (allowed: <= ${opts.max})`;
  return '';
}

/** Deep-freezes a plain options object so nothing can change configuration after start-up. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
