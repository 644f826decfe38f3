import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlatestreamError } from '../shared/errors.ts';
import type { Pool } from './db.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations folder beside the sources (also found from a compiled dist/ build). */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'migrations'), join(here, '..', '..', 'watchlist', 'migrations')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

/** Reads `NNN-name.sql` files in version order. Gaps and duplicates are errors. */
export function loadMigrations(dir = migrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = /^(\d{3})-([a-z0-9-]+)\.sql$/.exec(file);
    if (!m) throw new Error(`migration ${file} must be named NNN-name.sql (three digits, lower-case name)`);
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, file), 'utf8') });
  }
  out.forEach((mig, i) => {
    if (mig.version !== i + 1)
      throw new Error(`migration versions must run 001, 002, ... without gaps; found ${mig.version}`);
  });
  return out;
}

const TABLE = 'platestream_migrations';
/** Arbitrary constant key for pg_advisory_lock so two `db migrate` runs do not interleave. */
const LOCK_KEY = 7_365_201;

/**
 * Applies every migration not yet applied, each in its own transaction, holding a session advisory lock
 * for the whole run (concurrent runs wait, then find nothing left to do). Returns the ones applied now.
 */
export async function migrate(pool: Pool, migrations = loadMigrations()): Promise<Migration[]> {
  const client = await pool.connect();
  const applied: Migration[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const mig of migrations) {
        const seen = await client.query(`SELECT 1 FROM ${TABLE} WHERE version = $1`, [mig.version]);
        if (seen.rowCount) continue;
        await client.query('BEGIN');
        try {
          await client.query(mig.sql);
          await client.query(`INSERT INTO ${TABLE} (version, name) VALUES ($1, $2)`, [mig.version, mig.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(
            `migration ${String(mig.version).padStart(3, '0')}-${mig.name} failed: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        }
        applied.push(mig);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    }
  } finally {
    client.release();
  }
  return applied;
}

/** Versions applied in the database, ascending. */
export async function appliedVersions(pool: Pool): Promise<number[]> {
  const exists = await pool.query('SELECT to_regclass($1) AS t', [TABLE]);
  if (!exists.rows[0]?.t) return [];
  const r = await pool.query<{ version: number }>(`SELECT version FROM ${TABLE} ORDER BY version`);
  return r.rows.map((row) => row.version);
}

/** Start-up check: throws DATABASE_NOT_MIGRATED naming the missing versions and the command to run. */
export async function assertMigrated(pool: Pool, migrations = loadMigrations()): Promise<void> {
  const have = new Set(await appliedVersions(pool));
  const missing = migrations.filter((m) => !have.has(m.version));
  if (missing.length === 0) return;
  const list = missing.map((m) => `${String(m.version).padStart(3, '0')}-${m.name}`).join(', ');
  throw new PlatestreamError(
    'DATABASE_NOT_MIGRATED',
    `The PostgreSQL schema is missing migration${missing.length > 1 ? 's' : ''} ${list}; run "platestream db migrate" with the same DATABASE_URL, then start again.`,
    { details: { missing: missing.map((m) => m.version) } },
  );
}
