import pg from 'pg';
import { PlatestreamError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { redactUrl } from '../shared/redact-url.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  url: string;
  /** Client-side query deadline (ms); also sent as statement_timeout so the server gives up too. */
  queryTimeoutMs: number;
  connectTimeoutMs: number;
  max: number;
  applicationName?: string;
}

/**
 * A pg pool whose queries can never hang: every query has a client-side deadline and a server-side
 * statement_timeout, and connects give up after connectTimeoutMs. Idle-client errors (server restarted)
 * are logged, not thrown; the pool opens fresh connections on the next query.
 */
export function createPool(opts: PoolOptions, logger?: Logger): Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    query_timeout: opts.queryTimeoutMs,
    statement_timeout: opts.queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName ?? 'platestream',
  });
  pool.on('error', (err) => logger?.warn({ err }, 'idle PostgreSQL connection failed; it will be replaced'));
  return pool;
}

/**
 * Maps a refused login (role or database missing, wrong password, no pg_hba.conf entry) to DATABASE_ACCESS
 * with the SQL that fixes it, connection failures and timeouts to DATABASE_UNAVAILABLE; leaves SQL errors
 * alone.
 */
export function asDatabaseError(err: unknown, what: string, url?: string): Error {
  if (err instanceof PlatestreamError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | undefined)?.code;
  const access = accessFix(code, msg, url);
  if (access) {
    const where = url ? ` at ${redactUrl(url)}` : '';
    return new PlatestreamError(
      'DATABASE_ACCESS',
      `PostgreSQL${where} refused the login while ${what}: ${msg}. ${access}`,
      {
        cause: err,
      },
    );
  }
  const connection =
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|timeout|Connection terminated|terminating connection|the database system is (starting up|shutting down)|Client has encountered a connection error|Connection ended/i.test(
      msg,
    ) ||
    code === '57P01' || // admin_shutdown
    code === '57P03' || // cannot_connect_now
    code === '57014' || // query_canceled (statement_timeout)
    code === '53300'; // too_many_connections
  if (connection) {
    const where = url ? ` at ${redactUrl(url)}` : '';
    return new PlatestreamError(
      'DATABASE_UNAVAILABLE',
      `PostgreSQL${where} is unavailable while ${what}: ${msg}. Check DATABASE_URL and that the server is up.`,
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(msg);
}

/** What to do about a refused login (SQLSTATE class 28 or 3D000), or undefined for other errors. */
function accessFix(code: string | undefined, msg: string, url: string | undefined): string | undefined {
  if (code !== '28000' && code !== '28P01' && code !== '3D000') return undefined;
  let user = 'platestream';
  let db = 'platestream';
  try {
    const u = new URL(url ?? '');
    user = decodeURIComponent(u.username) || user;
    db = decodeURIComponent(u.pathname.replace(/^\//, '')) || user;
  } catch {
    // no or unparsable URL: the defaults name the README's example
  }
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const asSuperuser = 'As a PostgreSQL superuser (e.g. sudo -u postgres psql) run';
  const then = 'then run "platestream db migrate"';
  if (code === '3D000') return `${asSuperuser}: CREATE DATABASE ${q(db)} OWNER ${q(user)}; ${then}.`;
  if (code === '28P01')
    return `The password in DATABASE_URL is wrong: ${asSuperuser}: ALTER ROLE ${q(user)} PASSWORD '<the password in DATABASE_URL>'; or fix DATABASE_URL.`;
  if (/role .* does not exist/i.test(msg))
    return `${asSuperuser}: CREATE ROLE ${q(user)} LOGIN PASSWORD '<the password in DATABASE_URL>'; CREATE DATABASE ${q(db)} OWNER ${q(user)}; ${then}.`;
  return "Allow this host and role in the server's pg_hba.conf (then reload PostgreSQL), or fix DATABASE_URL.";
}

/** Runs `fn` in one transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
