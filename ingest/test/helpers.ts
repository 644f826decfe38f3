import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { type TestRedis, uniquePrefix } from '../../test/harness/index.ts';
import { type IngestConfig, readIngestConfig } from '../config.ts';

export const TOKEN_A = 'token-aaaa-1111';
export const TOKEN_B = 'token-bbbb-2222';
/** TOKEN_A may post for cam-a and every gate-*; TOKEN_B only for cam-b. */
export const TOKENS = `${TOKEN_A}=cam-a,gate-*;${TOKEN_B}=cam-b`;

/** An ingest config for a test: the test file's Redis, a fresh prefix, port 0, tokens, quick checks. */
export function testIngestConfig(t: TestRedis, env: Record<string, string> = {}): IngestConfig {
  return readIngestConfig(
    new EnvReader({
      REDIS_URL: t.url,
      LPR_PREFIX: uniquePrefix('ing'),
      REDIS_CONNECT_TIMEOUT_MS: '500',
      REDIS_COMMAND_TIMEOUT_MS: '1000',
      LPR_INGEST_HOST: '127.0.0.1',
      LPR_INGEST_PORT: '0',
      LPR_CAMERA_TOKENS: TOKENS,
      LPR_BACKPRESSURE_CHECK_MS: '0',
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A small noisy image of the given format (noise so every call with a new seed gives different bytes). */
export async function makeImage(
  format: 'jpeg' | 'png' | 'webp',
  opts: { width?: number; height?: number; seed?: number } = {},
): Promise<Buffer> {
  const width = opts.width ?? 64;
  const height = opts.height ?? 48;
  const raw = Buffer.alloc(width * height * 3);
  let x = (opts.seed ?? 1) * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

/** A JPEG padded after its end-of-image marker to exactly `bytes` (decoders ignore the tail). */
export async function jpegOfSize(bytes: number, seed = 1): Promise<Buffer> {
  const img = await makeImage('jpeg', { width: 32, height: 32, seed });
  if (img.length > bytes) throw new Error(`base JPEG is already ${img.length} bytes`);
  const out = Buffer.alloc(bytes);
  img.copy(out);
  for (let i = img.length; i < bytes; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** POSTs a raw image over real HTTP. */
export async function postFrame(
  base: string,
  camera: string,
  body: Buffer,
  opts: { type?: string; token?: string; query?: string } = {},
): Promise<{
  status: number;
  body: { id?: string; error?: { code: string; message: string } };
  headers: Headers;
}> {
  const headers: Record<string, string> = { 'content-type': opts.type ?? 'image/jpeg' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${base}/v1/cameras/${camera}/frames${opts.query ? `?${opts.query}` : ''}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(body),
  });
  return { status: res.status, body: (await res.json()) as never, headers: res.headers };
}
