/**
 * Privacy: retention of every kind of personal data (`privacy report`), erasure by plate (`erase`) and the
 * audit trail of searches, watchlist changes and erasures (`audit`). Other folders record audit entries
 * through `auditCommand` and read the housekeeping age limits with `readAgeLimits`.
 */
export { appendAudit, auditCommand, auditSearch, searchTarget } from './audit.ts';
export { auditPool, insertAuditRow } from './audit-db.ts';
export { type AgeLimits, RETENTION_DEFAULTS, readAgeLimits, readAuditRetention } from './config.ts';
export { reapplyErasures } from './erase.ts';
