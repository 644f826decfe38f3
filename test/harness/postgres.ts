import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { findPgBin, PostgresCluster } from '../../shared/util/local-postgres-server.ts';

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
