import pg from 'pg';
import { PlatestreamError } from '../shared/errors.ts';
import type { AuditRecord } from './audit.ts';

/**
 * Appends one audit entry to the PostgreSQL table `audit_log` (watchlist/migrations/002-audit-log.sql) and
 * deletes rows older than the retention. One short connection per call (operator commands audit once).
 * A missing table is DATABASE_NOT_MIGRATED; an unreachable server DATABASE_UNAVAILABLE: the command fails
 * rather than leave a search unrecorded.
 */
export async function insertAuditRow(
  db: string | pg.Pool,
  rec: AuditRecord,
  retentionMs: number,
): Promise<void> {
  const client =
    typeof db === 'string'
      ? new pg.Client({
          connectionString: db,
          connectionTimeoutMillis: 5000,
          statement_timeout: 10_000,
          application_name: 'platestream-audit',
        })
      : db;
  try {
    if (client instanceof pg.Client) await client.connect();
    await client.query(
      'INSERT INTO audit_log (at, actor, action, target, row_count, detail, stream_id) VALUES (to_timestamp($1::double precision / 1000), $2, $3, $4, $5, $6, $7)',
      [rec.at, rec.actor, rec.action, rec.target, rec.rows, rec.detail ?? null, rec.id ?? null],
    );
    await client.query('DELETE FROM audit_log WHERE at < now() - make_interval(secs => $1)', [
      retentionMs / 1000,
    ]);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01')
      throw new PlatestreamError(
        'DATABASE_NOT_MIGRATED',
        'the audit_log table is missing; run "platestream db migrate" with the same DATABASE_URL',
      );
    throw new PlatestreamError(
      'DATABASE_UNAVAILABLE',
      `could not record the audit entry in PostgreSQL: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    if (client instanceof pg.Client) await client.end().catch(() => {});
  }
}

/** A small pool for a long-running service that records audit entries (the web API). */
export function auditPool(url: string): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: 5000,
    statement_timeout: 10_000,
    application_name: 'platestream-audit',
  });
}

/** Rows of the audit_log table and the age of the oldest (ms), for `privacy report`; undefined before migration. */
export async function auditTableStats(
  url: string,
  now = Date.now(),
): Promise<{ items: number; oldestAgeMs: number | null } | undefined> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    statement_timeout: 10_000,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ n: string; oldest: Date | null }>(
      'SELECT count(*) AS n, min(at) AS oldest FROM audit_log',
    );
    const row = rows[0];
    return {
      items: Number(row?.n ?? 0),
      oldestAgeMs: row?.oldest ? Math.max(0, now - row.oldest.getTime()) : null,
    };
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined;
    throw new PlatestreamError(
      'DATABASE_UNAVAILABLE',
      `could not read the audit_log table: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => {});
  }
}
