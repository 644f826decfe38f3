import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/**
 * PostgreSQL for one test file, found like Redis is:
 * 1. DATABASE_URL set → that server; each test gets its own database (CREATE DATABASE), dropped at close;
 * 2. initdb/pg_ctl binaries → a private throwaway cluster in a temp folder (as root, run as the `postgres`
 *    user or PG_TEST_USER), which tests can stop and start again;
 * 3. Docker → a testcontainers postgres:15 for the file;
 * 4. none → fail with instructions.
 */
export interface TestPostgres {
  /** URL of the maintenance database of the server. */
  serverUrl: string;
  /** The private cluster when this file owns one (needed for stop/start tests). */
  server: PostgresCluster | undefined;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(label?: string): Promise<string>;
  /** Drops every database this harness created and stops what it started. */
  close(): Promise<void>;
}

/** Whether tests can stop and start the database server (a private cluster). */
export function canOwnPostgres(): boolean {
  return !process.env.DATABASE_URL && findPgBin() !== undefined;
}

export async function usePostgres(): Promise<TestPostgres> {
  let server: PostgresCluster | undefined;
  let serverUrl: string;
  let stopContainer: (() => Promise<unknown>) | undefined;
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL;
  } else if (findPgBin()) {
    server = await PostgresCluster.create();
    serverUrl = server.url;
  } else {
    try {
      const { GenericContainer, Wait } = await import('testcontainers');
      const c = await new GenericContainer('postgres:15-alpine')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      serverUrl = `postgres://postgres@${c.getHost()}:${c.getMappedPort(5432)}/postgres`;
      stopContainer = () => c.stop();
    } catch (err) {
      throw new Error(
        'Tests need PostgreSQL and none was found. Do one of:\n' +
          '  - apt-get install postgresql   (the harness starts throwaway clusters with initdb/pg_ctl)\n' +
          '  - start Docker (the harness then uses a postgres:15 container)\n' +
          '  - DATABASE_URL=postgres://user@host:5432/db npm test   (each test file creates its own databases)\n' +
          `(testcontainers said: ${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  const created: string[] = [];
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    serverUrl,
    server,
    async createDatabase(label = 'ps') {
      const name = `${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`.toLowerCase();
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const u = new URL(serverUrl);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async close() {
      if (server) {
        await server.destroy();
        return;
      }
      if (stopContainer) {
        await stopContainer();
        return;
      }
      await admin(async (c) => {
        for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }).catch(() => {});
    },
  };
}

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
