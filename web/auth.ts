import { createHash } from 'node:crypto';
import { PlatestreamError } from '../shared/errors.ts';

export const WEB_ROLES = ['viewer', 'admin'] as const;
export type WebRole = (typeof WEB_ROLES)[number];

/**
 * Bearer tokens of the web service, each with a role: `viewer` reads, `admin` also changes the watchlist
 * and requeues dead letters. Tokens are kept only as SHA-256 digests (as the ingest camera tokens are).
 */
export class WebAuth {
  private constructor(
    readonly open: boolean,
    private readonly roles: ReadonlyMap<string, WebRole>,
  ) {}

  /** Everyone is admin (LPR_WEB_AUTH=open, local demos only). */
  static open(): WebAuth {
    return new WebAuth(true, new Map());
  }

  /** From `LPR_WEB_TOKENS` text; throws CONFIG_INVALID naming the bad entry. */
  static fromText(text: string): WebAuth {
    const table = parseWebTokens(text);
    const roles = new Map<string, WebRole>();
    for (const [token, role] of table) roles.set(digest(token), role);
    return new WebAuth(false, roles);
  }

  /**
   * The role of the bearer token in `authorization` (the raw header); throws UNAUTHORIZED (none, not a
   * bearer token, unknown) or FORBIDDEN (known but `need` is admin and the token is a viewer's).
   */
  check(authorization: string | undefined, need: WebRole): WebRole {
    if (this.open) return 'admin';
    if (authorization === undefined || authorization === '') {
      throw new PlatestreamError(
        'UNAUTHORIZED',
        'no Authorization header; send "Authorization: Bearer <token>" (tokens are set with LPR_WEB_TOKENS)',
      );
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) {
      throw new PlatestreamError(
        'UNAUTHORIZED',
        'the Authorization header is not a bearer token; send "Authorization: Bearer <token>"',
      );
    }
    const role = this.roles.get(digest(m[1]!));
    if (role === undefined) throw new PlatestreamError('UNAUTHORIZED', 'the bearer token is not known');
    if (need === 'admin' && role !== 'admin') {
      throw new PlatestreamError('FORBIDDEN', 'this needs an admin token; the token given is a viewer token');
    }
    return role;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `token1=viewer;token2=admin` (entries separated by ";" or ","). */
export function parseWebTokens(text: string): Map<string, WebRole> {
  const out = new Map<string, WebRole>();
  for (const part of text.split(/[;,]/)) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.lastIndexOf('=');
    const token = eq > 0 ? item.slice(0, eq).trim() : '';
    const role = eq > 0 ? item.slice(eq + 1).trim() : '';
    if (token === '' || !(WEB_ROLES as readonly string[]).includes(role)) {
      throw new PlatestreamError(
        'CONFIG_INVALID',
        'LPR_WEB_TOKENS: every entry must be token=viewer or token=admin (entries separated by ";")',
      );
    }
    if (token.length < 8) {
      throw new PlatestreamError(
        'CONFIG_INVALID',
        `LPR_WEB_TOKENS: token "${token.slice(0, 3)}…" is shorter than 8 characters`,
      );
    }
    out.set(token, role as WebRole);
  }
  if (out.size === 0) throw new PlatestreamError('CONFIG_INVALID', 'LPR_WEB_TOKENS defines no tokens');
  return out;
}
