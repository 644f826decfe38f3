import pg from 'pg';
import { PlatestreamError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { redactUrl } from './config.ts';

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

/** Maps connection failures and timeouts to DATABASE_UNAVAILABLE; leaves SQL errors alone. */
export function asDatabaseError(err: unknown, what: string, url?: string): Error {
  if (err instanceof PlatestreamError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | undefined)?.code;
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
