import { createHash, randomBytes } from 'node:crypto';
import type { CameraCredentials } from '../shared/config/camera-config.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/**
 * HTTP authentication for camera URLs: Basic up front, and Digest (RFC 7616 with MD5 / MD5-sess, qop=auth,
 * what most IP cameras ask for on their snapshot and MJPEG URLs) once the camera has sent its challenge.
 * The nonce is kept and counted (nc) so a snapshot poll costs one request, not two; a new challenge (stale
 * nonce) is answered once per request.
 */
export class HttpAuth {
  private digest:
    | { realm: string; nonce: string; qop: string | undefined; opaque: string | undefined; algorithm: string }
    | undefined;
  private nc = 0;

  constructor(private readonly credentials: CameraCredentials | undefined) {}

  /** The Authorization header for a GET of `url`, or undefined without credentials. */
  header(url: string): string | undefined {
    const c = this.credentials;
    if (!c) return undefined;
    if (!this.digest) return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    const d = this.digest;
    const u = new URL(url);
    const uri = `${u.pathname}${u.search}`;
    const cnonce = randomBytes(8).toString('hex');
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    let ha1 = md5(`${c.username}:${d.realm}:${c.password}`);
    if (d.algorithm.toUpperCase() === 'MD5-SESS') ha1 = md5(`${ha1}:${d.nonce}:${cnonce}`);
    const ha2 = md5(`GET:${uri}`);
    const qop = d.qop
      ?.split(',')
      .map((q) => q.trim())
      .includes('auth')
      ? 'auth'
      : undefined;
    const response = qop
      ? md5(`${ha1}:${d.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
      : md5(`${ha1}:${d.nonce}:${ha2}`);
    const q = (s: string) => s.replace(/["\\]/g, '\\$&');
    const parts = [
      `username="${q(c.username)}"`,
      `realm="${q(d.realm)}"`,
      `nonce="${q(d.nonce)}"`,
      `uri="${q(uri)}"`,
      `response="${response}"`,
      `algorithm=${d.algorithm}`,
    ];
    if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    if (d.opaque !== undefined) parts.push(`opaque="${q(d.opaque)}"`);
    return `Digest ${parts.join(', ')}`;
  }

  /**
   * Takes a 401's WWW-Authenticate header; true when it is a Digest challenge worth answering (credentials
   * present, and a challenge not already answered with these credentials: first one, new nonce or stale).
   */
  challenge(header: string | null): boolean {
    if (!this.credentials || !header) return false;
    const m = /Digest\s+(.*)$/is.exec(header);
    if (!m) return false;
    const params: Record<string, string> = {};
    for (const p of m[1]!.matchAll(/([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/gi)) {
      params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    }
    if (params.realm === undefined || params.nonce === undefined) return false;
    const stale = params.stale?.toLowerCase() === 'true';
    const retry = !this.digest || stale || this.digest.nonce !== params.nonce;
    this.digest = {
      realm: params.realm,
      nonce: params.nonce,
      qop: params.qop,
      opaque: params.opaque,
      algorithm: params.algorithm ?? 'MD5',
    };
    this.nc = 0;
    return retry;
  }
}
