import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL server made with the distribution's initdb/pg_ctl, for tests and the cache
 * benchmark (as local-redis-server.ts is for Redis). As root it runs them as PG_TEST_USER (default postgres).
 */

let pgBin: string | null | undefined;

/** The folder holding initdb and pg_ctl, or undefined. PG_BIN overrides the search. */
export function findPgBin(): string | undefined {
  if (pgBin !== undefined) return pgBin ?? undefined;
  const candidates = [process.env.PG_BIN, '/usr/local/bin'];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a)))
      candidates.push(join(root, v, 'bin'));
  }
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
      pgBin = dir;
      return dir;
    }
  }
  pgBin = null;
  return undefined;
}

/** A throwaway PostgreSQL cluster on a free loopback port; stop() and start() keep its data. */
export class PostgresCluster {
  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly user: string | undefined,
  ) {}

  static async create(): Promise<PostgresCluster> {
    const bin = findPgBin();
    if (!bin) throw new Error('initdb/pg_ctl not found (apt-get install postgresql, or set PG_BIN)');
    const dir = mkdtempSync(join(tmpdir(), 'platestream-pg-'));
    let user: string | undefined;
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses to run as root: hand the folder to an unprivileged user and run as it.
      user = process.env.PG_TEST_USER ?? 'postgres';
      const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
      if (id.status !== 0)
        throw new Error(`running as root needs a user "${user}" to run PostgreSQL (set PG_TEST_USER)`);
      chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
    }
    const c = new PostgresCluster(bin, dir, await freePort(), user);
    await c.exec('initdb', [
      '-D',
      c.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    await c.start();
    return c;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async exec(tool: string, args: string[]): Promise<string> {
    const file = join(this.bin, tool);
    const [cmd, argv] = this.user ? ['runuser', ['-u', this.user, '--', file, ...args]] : [file, args];
    try {
      const { stdout } = await run(cmd, argv, { timeout: 60_000 });
      return stdout;
    } catch (err) {
      const log = existsSync(join(this.dir, 'log'))
        ? readFileSync(join(this.dir, 'log'), 'utf8').slice(-2000)
        : '';
      throw new Error(`${tool} failed: ${err instanceof Error ? err.message : String(err)}\n${log}`);
    }
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await this.exec('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      opts,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  /** Fast shutdown: connections are cut, the server is gone until start(). */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
