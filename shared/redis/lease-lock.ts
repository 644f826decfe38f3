import type { RedisClient } from './connection.ts';
import { PlatestreamError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { runScript } from './scripts.ts';

export interface LeaseLockOptions {
  /** Lock key (from StreamKeys). */
  key: string;
  /** Fencing counter key (from StreamKeys); INCR'd on every acquisition, never reset. */
  fenceKey: string;
  /** Unique owner id of this process (e.g. the consumer name). */
  owner: string;
  /** Lease length; the holder must renew well before it runs out. */
  ttlMs: number;
  logger?: Logger;
}

/** A held lease: the fencing token orders holders over time; `value` is what guarded scripts compare. */
export interface Lease {
  token: number;
  /** "<token>:<owner>", stored in the lock key; pass it to fenced scripts. */
  value: string;
  /** When this process last saw the lease confirmed + ttl (local clock). */
  expiresAt: number;
}

/**
 * Redis lease lock with a fencing token (SET NX PX + INCR fence in one script; renew and release compare
 * the stored value first). Writes made under the lease should go through scripts that compare `lease.value`
 * with the lock key (see trimFrames-2.lua), so a holder that paused past its lease cannot act on stale
 * authority: the fence makes a late write fail instead of racing the new holder.
 */
export class LeaseLock {
  private current: Lease | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: LeaseLockOptions,
  ) {}

  /** The lease this process believes it holds (undefined when none or when it has run out locally). */
  get lease(): Lease | undefined {
    if (this.current && this.current.expiresAt <= Date.now()) this.current = undefined;
    return this.current;
  }

  /**
   * Takes the lock when free, else renews it when this process holds it. Returns the lease, or undefined when
   * another owner holds it.
   */
  async acquireOrRenew(): Promise<Lease | undefined> {
    const held = this.current;
    if (held) {
      const started = Date.now();
      const ok = await runScript<number>(
        this.redis,
        'lockRenew',
        [this.opts.key],
        [held.value, this.opts.ttlMs],
      );
      if (ok === 1) {
        held.expiresAt = started + this.opts.ttlMs;
        return held;
      }
      this.opts.logger?.warn({ key: this.opts.key, token: held.token }, 'lease lost (expired or taken over)');
      this.current = undefined;
    }
    const started = Date.now();
    const token = Number(
      await runScript<number>(
        this.redis,
        'lockAcquire',
        [this.opts.key, this.opts.fenceKey],
        [this.opts.owner, this.opts.ttlMs],
      ),
    );
    if (!token) return undefined;
    this.current = { token, value: `${token}:${this.opts.owner}`, expiresAt: started + this.opts.ttlMs };
    return this.current;
  }

  /** Throws LOCK_LOST when a fenced script reported that the lock is no longer ours; forgets the lease. */
  lost(what: string): PlatestreamError {
    const token = this.current?.token;
    this.current = undefined;
    return new PlatestreamError(
      'LOCK_LOST',
      `lease ${this.opts.key} (token ${token ?? '?'}) was lost before ${what}; another process holds it now`,
    );
  }

  /** Releases the lock if still held by this process. Never throws. */
  async release(): Promise<void> {
    const held = this.current;
    this.current = undefined;
    if (!held) return;
    try {
      await runScript(this.redis, 'lockRelease', [this.opts.key], [held.value]);
    } catch (err) {
      this.opts.logger?.warn({ err, key: this.opts.key }, 'could not release lease (it will expire)');
    }
  }
}
