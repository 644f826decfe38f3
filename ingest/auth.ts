import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CAMERA_ID_PREFIX_RE, isCameraId } from '../shared/camera-id.ts';
import { PlatestreamError } from '../shared/errors.ts';
import type { AuthOptions } from './config.ts';

/** Camera patterns a token may post for: exact ids, `prefix-*`, or `*`. */
type Grant = { exact: Set<string>; prefixes: string[]; all: boolean };

/**
 * Per-camera bearer tokens. Tokens are kept only as SHA-256 digests and looked up by digest, so neither the
 * token text nor its comparison timing leaks through the map lookup.
 */
export class CameraAuth {
  /** Authorization header values already matched to a grant (known tokens only; bounded). */
  private readonly verified = new Map<string, Grant>();

  private constructor(
    readonly open: boolean,
    private readonly grants: ReadonlyMap<string, Grant>,
  ) {}

  static open(): CameraAuth {
    return new CameraAuth(true, new Map());
  }

  /** Builds the token table from `LPR_CAMERA_TOKENS` and/or `LPR_CAMERA_TOKENS_FILE`; throws CONFIG_INVALID. */
  static fromOptions(opts: AuthOptions): CameraAuth {
    if (opts.mode === 'open') return CameraAuth.open();
    const table = new Map<string, string[]>();
    if (opts.tokens !== undefined) {
      for (const [token, cams] of parseInlineTokens(opts.tokens)) table.set(token, cams);
    }
    if (opts.tokensFile !== undefined) {
      for (const [token, cams] of readTokensFile(opts.tokensFile)) table.set(token, cams);
    }
    if (table.size === 0) {
      throw new PlatestreamError(
        'CONFIG_INVALID',
        'LPR_CAMERA_TOKENS / LPR_CAMERA_TOKENS_FILE define no tokens',
      );
    }
    return CameraAuth.fromTable(table);
  }

  /** Token → allowed camera patterns. */
  static fromTable(table: ReadonlyMap<string, readonly string[]>): CameraAuth {
    const grants = new Map<string, Grant>();
    for (const [token, patterns] of table) {
      const g: Grant = { exact: new Set(), prefixes: [], all: false };
      for (const p of patterns) {
        if (p === '*') g.all = true;
        else if (p.endsWith('*')) g.prefixes.push(p.slice(0, -1));
        else g.exact.add(p);
      }
      grants.set(digest(token), g);
    }
    return new CameraAuth(false, grants);
  }

  /**
   * Throws UNAUTHORIZED (no/unknown token) or FORBIDDEN (token not allowed for this camera).
   * `authorization` is the raw Authorization header.
   */
  check(camera: string, authorization: string | undefined): void {
    if (this.open) return;
    if (authorization === undefined || authorization === '') {
      throw new PlatestreamError(
        'UNAUTHORIZED',
        `camera "${camera}": no Authorization header; send "Authorization: Bearer <camera token>"`,
      );
    }
    const grant = this.verified.get(authorization) ?? this.lookup(camera, authorization);
    if (!(grant.all || grant.exact.has(camera) || grant.prefixes.some((p) => camera.startsWith(p)))) {
      throw new PlatestreamError(
        'FORBIDDEN',
        `camera "${camera}": this token is not allowed to post for this camera; use the camera's own token`,
      );
    }
  }

  /** Digest lookup of a bearer token; only headers carrying a known token are remembered. */
  private lookup(camera: string, authorization: string): Grant {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) {
      throw new PlatestreamError(
        'UNAUTHORIZED',
        `camera "${camera}": the Authorization header is not a bearer token; send "Authorization: Bearer <camera token>"`,
      );
    }
    const grant = this.grants.get(digest(m[1]!));
    if (!grant) {
      throw new PlatestreamError(
        'UNAUTHORIZED',
        `camera "${camera}": the bearer token is not known; check the token`,
      );
    }
    if (this.verified.size >= 1024) this.verified.clear();
    this.verified.set(authorization, grant);
    return grant;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkPatterns(where: string, token: string, cams: string[]): string[] {
  if (token.length < 8) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `${where}: token "${token.slice(0, 3)}…" is shorter than 8 characters`,
    );
  }
  if (cams.length === 0) throw new PlatestreamError('CONFIG_INVALID', `${where}: a token lists no cameras`);
  for (const c of cams) {
    if (!CAMERA_ID_PREFIX_RE.test(c) || (!c.endsWith('*') && !isCameraId(c))) {
      throw new PlatestreamError(
        'CONFIG_INVALID',
        `${where}: "${c}" is not a camera id, a "prefix*" pattern or "*"`,
      );
    }
  }
  return cams;
}

/** `token1=cam-a,cam-b;token2=gate-*` */
export function parseInlineTokens(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new PlatestreamError(
        'CONFIG_INVALID',
        'LPR_CAMERA_TOKENS: every entry must be token=camera[,camera...] (entries separated by ";")',
      );
    }
    const token = item.slice(0, eq).trim();
    const cams = item
      .slice(eq + 1)
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    out.set(token, checkPatterns('LPR_CAMERA_TOKENS', token, cams));
  }
  return out;
}

/** JSON file: `{ "<token>": ["cam-a", "gate-*"], "<token2>": "*" }`. */
export function readTokensFile(path: string): Map<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `LPR_CAMERA_TOKENS_FILE: cannot read ${path} as JSON (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `LPR_CAMERA_TOKENS_FILE: ${path} must hold a JSON object token → cameras`,
    );
  }
  const out = new Map<string, string[]>();
  for (const [token, v] of Object.entries(parsed as Record<string, unknown>)) {
    const cams = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(cams) || !cams.every((c) => typeof c === 'string')) {
      throw new PlatestreamError(
        'CONFIG_INVALID',
        `LPR_CAMERA_TOKENS_FILE: the value for a token in ${path} must be a camera pattern or an array of them`,
      );
    }
    out.set(token, checkPatterns(`LPR_CAMERA_TOKENS_FILE ${path}`, token, cams as string[]));
  }
  return out;
}
