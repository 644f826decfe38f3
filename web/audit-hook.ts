import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { appendAudit, auditPool, insertAuditRow, RETENTION_DEFAULTS } from '../privacy/index.ts';
import { normalisePlate } from '../shared/plate-text.ts';
import type { WebContext } from './app.ts';

const SEARCH_ROUTES = new Map([
  ['/v1/results', 'results'],
  ['/v1/events', 'events'],
  ['/v1/alerts', 'alerts'],
  ['/v1/results.csv', 'results-csv'],
  ['/v1/events.csv', 'events-csv'],
  ['/v1/alerts.csv', 'alerts-csv'],
]);

type Q = Record<string, unknown>;

/** The audit action and target of a request, or undefined when it is not audited. */
function audited(method: string, route: string | undefined, query: Q, params: Q, body: unknown) {
  if (route === undefined) return undefined;
  if (method === 'GET' && route === '/v1/plates/:plate')
    return { action: 'search:web-plate', target: normalisePlate(String(params.plate ?? '')) };
  const source = SEARCH_ROUTES.get(route);
  if (method === 'GET' && source) {
    const parts = ['plate', 'from', 'to']
      .filter((k) => query[k] !== undefined)
      .map((k) => `${k}=${query[k]}`);
    return parts.length ? { action: `search:web-${source}`, target: parts.join(' ') } : undefined;
  }
  if (method === 'POST' && route === '/v1/watchlist')
    return { action: 'watchlist:add', target: normalisePlate(String((body as Q | undefined)?.plate ?? '')) };
  if (method === 'DELETE' && route === '/v1/watchlist/:plate')
    return { action: 'watchlist:remove', target: normalisePlate(String(params.plate ?? '')) };
  if (method === 'POST' && route === '/v1/watchlist/import')
    return { action: 'watchlist:import', target: 'csv' };
  return undefined;
}

/** Rows a JSON answer returned (items, or sightings + events); -1 for a streamed CSV export. */
function rowCount(payload: unknown): number {
  if (typeof payload !== 'string') return -1;
  try {
    const body = JSON.parse(payload) as { items?: unknown[]; sightings?: unknown[]; events?: unknown[] };
    if (Array.isArray(body.items)) return body.items.length;
    if (Array.isArray(body.sightings)) return body.sightings.length + (body.events?.length ?? 0);
    return 1;
  } catch {
    return -1;
  }
}

/**
 * Audit trail of the web API (privacy/): every successful search by plate or time range (`/v1/plates/:plate`,
 * `/v1/results|events|alerts[.csv]` with plate, from or to) and every watchlist change is appended to the
 * audit stream (and with DATABASE_URL to the audit_log table). Tokens have no names, so the actor is `web:<role>:<first 8 hex of the token's sha256>`.
 */
export function registerAuditHook(app: FastifyInstance, ctx: WebContext): void {
  const retentionMs = ctx.config.auditRetentionMs ?? RETENTION_DEFAULTS.auditRetentionMs;
  // With DATABASE_URL the entries also go to the audit_log table (a failure there fails the request).
  const url = ctx.config.watchlist.databaseUrl;
  const pool = url ? auditPool(url) : undefined;
  if (pool) app.addHook('onClose', async () => pool.end());
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) return payload;
    const what = audited(
      request.method,
      request.routeOptions.url,
      (request.query ?? {}) as Q,
      (request.params ?? {}) as Q,
      request.body,
    );
    if (!what) return payload;
    const header = request.headers.authorization;
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    const role = ctx.auth.check(header, 'viewer');
    const actor = token
      ? `web:${role}:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`
      : 'web:open';
    const entry = await appendAudit(
      ctx.redis,
      ctx.keys,
      { actor, ...what, rows: rowCount(payload) },
      { retentionMs },
    );
    if (pool) await insertAuditRow(pool, entry, retentionMs);
    return payload;
  });
}
