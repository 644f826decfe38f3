import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../util/free-port.ts';

export function redisServerBinary(): string | undefined {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? bin : undefined;
}

export interface RedisServerOptions {
  /** Turn on AOF (appendfsync always) so data survives kill -9 and restart. */
  appendonly?: boolean;
  port?: number;
  /** Extra `--name value` arguments. */
  args?: string[];
}

/**
 * A private redis-server child process (tests, the demo) on a free loopback port. Tests can stop it, kill -9 it and start it
 * again on the same port and data folder, so reliability tests exercise real reconnects.
 */
export class RedisServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly dir: string;
  output = '';

  private constructor(
    readonly bin: string,
    readonly port: number,
    readonly opts: RedisServerOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'platestream-redis-'));
  }

  static async start(opts: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const bin = redisServerBinary();
    if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
    const s = new RedisServerProcess(bin, opts.port ?? (await freePort()), opts);
    await s.start();
    return s;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (or restarts) the server on the same port and data folder and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.running) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.opts.appendonly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...(this.opts.args ?? []),
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const append = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-8000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await this.waitForPing(10_000);
  }

  private async waitForPing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server exited on port ${this.port}: ${this.output}`);
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING within ${timeoutMs} ms`);
  }

  /** Graceful stop (SIGTERM; with AOF on, data is kept). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    await this.exited;
  }

  /** kill -9: no goodbye, clients see a dropped socket. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes its data folder. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}
