import { inTransaction, type Pool } from './db.ts';
import type { EntryInput, WatchlistEntry } from './entry.ts';

interface Row {
  id: string;
  plate: string;
  label: string;
  expires_at: Date | null;
  webhook: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id::text AS id, plate, label, expires_at, webhook, created_at, updated_at';
const ACTIVE = '(expires_at IS NULL OR expires_at > now())';

function toEntry(r: Row): WatchlistEntry {
  return {
    id: r.id,
    plate: r.plate,
    label: r.label,
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
    webhook: r.webhook,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

const UPSERT = `
  INSERT INTO watchlist_entries AS w (plate, label, expires_at, webhook)
  SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
  ON CONFLICT (plate) DO UPDATE
    SET label = EXCLUDED.label, expires_at = EXCLUDED.expires_at, webhook = EXCLUDED.webhook, updated_at = now()
  RETURNING w.id::text AS id, w.plate, w.label, w.expires_at, w.webhook, w.created_at, w.updated_at,
    (w.xmax = 0) AS inserted`;

/**
 * The watchlist in PostgreSQL (the system of record). Callers that cache answers must invalidate after
 * every write (see WatchlistAdmin). `queries` counts every statement sent, for tests and benchmarks.
 */
export class WatchlistStore {
  queries = 0;

  constructor(readonly pool: Pool) {}

  /** The active (not expired) entry for one normalised plate. */
  async findActive(plate: string): Promise<WatchlistEntry | undefined> {
    this.queries++;
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM watchlist_entries WHERE plate = $1 AND ${ACTIVE}`,
      [plate],
    );
    return r.rows[0] ? toEntry(r.rows[0]) : undefined;
  }

  /** Every active plate (for the fuzzy index). */
  async activePlates(timeoutMs = 10_000): Promise<string[]> {
    this.queries++;
    // A large list may take longer than the per-lookup deadline: give this one query its own.
    return inTransaction(this.pool, async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
      const r = await client.query<{ plate: string }>({
        text: `SELECT plate FROM watchlist_entries WHERE ${ACTIVE}`,
        query_timeout: timeoutMs,
      } as { text: string });
      return r.rows.map((row) => row.plate);
    });
  }

  /** Adds entries or replaces those with the same plate, all in one statement. */
  async upsert(
    inputs: EntryInput[],
    client: Pick<Pool, 'query'> = this.pool,
  ): Promise<{ entries: WatchlistEntry[]; inserted: number }> {
    this.queries++;
    const r = await client.query<Row & { inserted: boolean }>(UPSERT, [
      inputs.map((i) => i.plate),
      inputs.map((i) => i.label),
      inputs.map((i) => i.expiresAt),
      inputs.map((i) => i.webhook),
    ]);
    return { entries: r.rows.map(toEntry), inserted: r.rows.filter((row) => row.inserted).length };
  }

  /** Imports every entry in one transaction: all or nothing. */
  async importAll(inputs: EntryInput[]): Promise<{ inserted: number; updated: number }> {
    return inTransaction(this.pool, async (client) => {
      let inserted = 0;
      for (let i = 0; i < inputs.length; i += 1000) {
        inserted += (await this.upsert(inputs.slice(i, i + 1000), client)).inserted;
      }
      return { inserted, updated: inputs.length - inserted };
    });
  }

  /** Removes the entries of these plates; returns the plates that existed. */
  async remove(plates: string[]): Promise<string[]> {
    this.queries++;
    const r = await this.pool.query<{ plate: string }>(
      'DELETE FROM watchlist_entries WHERE plate = ANY($1::text[]) RETURNING plate',
      [plates],
    );
    return r.rows.map((row) => row.plate);
  }

  async list(
    opts: { limit?: number; includeExpired?: boolean; plate?: string } = {},
  ): Promise<WatchlistEntry[]> {
    this.queries++;
    const where: string[] = [];
    const args: unknown[] = [];
    if (!opts.includeExpired) where.push(ACTIVE);
    if (opts.plate) {
      args.push(`${opts.plate.replace(/[%_\\]/g, '\\$&')}%`);
      where.push(`plate LIKE $${args.length}`);
    }
    args.push(opts.limit ?? 1000);
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM watchlist_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY plate LIMIT $${args.length}`,
      args,
    );
    return r.rows.map(toEntry);
  }
}
