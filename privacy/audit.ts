import type { RedisClient } from '../shared/redis/connection.ts';
import { openRedis } from '../shared/cli/index.ts';
import type { Env } from '../shared/config/env-reader.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { closeRedis } from '../shared/redis/connection.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { idFromMs, isEntryId } from '../shared/redis/stream/index.ts';
import { insertAuditRow } from './audit-db.ts';
import { auditActor, readAuditRetention } from './config.ts';

/**
 * One audit entry: who (`actor`: token name or `os:<user>`), what (`action`, e.g. `search:results-plate`,
 * `watchlist:add`, `erase`), about what (`target`: the plate, pattern or range), how many rows it returned
 * or changed, and when (`at`, ms; the stream id carries it too).
 */
export interface AuditRecord {
  id?: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  rows: number;
  detail?: string;
}

export interface AuditOptions {
  /** Entries older than this are trimmed (XADD MINID ~) on every append (AUDIT_RETENTION_MS). */
  retentionMs: number;
}

/** Appends one entry to the audit stream, trimming entries older than the retention in the same XADD. */
export async function appendAudit(
  redis: RedisClient,
  keys: StreamKeys,
  rec: Omit<AuditRecord, 'id' | 'at'> & { at?: number },
  opts: AuditOptions,
): Promise<AuditRecord> {
  const at = rec.at ?? Date.now();
  const minId = idFromMs(Math.max(0, at - opts.retentionMs));
  const fields = [
    'at',
    String(at),
    'actor',
    rec.actor,
    'action',
    rec.action,
    'target',
    rec.target,
    'rows',
    String(rec.rows),
  ];
  if (rec.detail) fields.push('detail', rec.detail);
  const id = (await redis.xadd(keys.auditLog, 'MINID', '~', minId, '*', ...fields)) as string;
  return {
    id,
    at,
    actor: rec.actor,
    action: rec.action,
    target: rec.target,
    rows: rec.rows,
    detail: rec.detail,
  };
}

/**
 * Appends an audit entry for an operator command: the actor from LPR_AUDIT_ACTOR or the OS user, the
 * retention from AUDIT_RETENTION_MS (both read from the command's environment); with DATABASE_URL set the
 * entry also goes to the PostgreSQL table audit_log (a failure there fails the command).
 */
export async function auditCommand(
  env: Env,
  redis: RedisClient,
  keys: StreamKeys,
  rec: { action: string; target: string; rows: number; detail?: string },
): Promise<AuditRecord> {
  const r = new EnvReader(env);
  const actor = auditActor(r);
  const retentionMs = readAuditRetention(r);
  const databaseUrl = r.optionalString('DATABASE_URL');
  r.finish();
  const entry = await appendAudit(redis, keys, { ...rec, actor }, { retentionMs });
  if (databaseUrl) await insertAuditRow(databaseUrl, entry, retentionMs);
  return entry;
}

/**
 * auditCommand on a connection of its own, for commands that read through a blocking reader (`results tail`,
 * `events tail` with a plate or time filter): the search is recorded when it ends, with the rows it printed.
 */
export async function auditSearch(
  env: Env,
  config: RedisConfig,
  keys: StreamKeys,
  rec: { action: string; target: string; rows: number },
): Promise<void> {
  const redis = await openRedis(config, { name: 'audit' });
  try {
    await auditCommand(env, redis, keys, rec);
  } finally {
    await closeRedis(redis);
  }
}

/** The target of a filtered tail: `plate=AB* from=-10m to=...` (empty when it is not a search). */
export function searchTarget(filters: Record<string, string | undefined>): string {
  return Object.entries(filters)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Audit entries from `sinceMs` on (oldest first), optionally of one actor, at most `limit`. */
export async function listAudit(
  redis: RedisClient,
  keys: StreamKeys,
  o: { sinceMs?: number; actor?: string; action?: string; limit?: number } = {},
): Promise<AuditRecord[]> {
  const limit = o.limit ?? 1000;
  const out: AuditRecord[] = [];
  let start = o.sinceMs === undefined ? '-' : idFromMs(o.sinceMs);
  for (;;) {
    const page = (await redis.xrange(keys.auditLog, start, '+', 'COUNT', 500)) as [string, string[]][];
    for (const [id, fields] of page) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      const rec: AuditRecord = {
        id,
        at: Number(f.at ?? 0),
        actor: f.actor ?? '',
        action: f.action ?? '',
        target: f.target ?? '',
        rows: Number(f.rows ?? 0),
        ...(f.detail ? { detail: f.detail } : {}),
      };
      if (o.actor !== undefined && rec.actor !== o.actor) continue;
      if (o.action !== undefined && !rec.action.startsWith(o.action)) continue;
      out.push(rec);
      if (out.length >= limit) return out;
    }
    if (page.length < 500) return out;
    const last = page[page.length - 1]![0];
    if (!isEntryId(last)) return out;
    start = `(${last}`;
  }
}
