import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { ImageMime } from '../../shared/codec/frame-codec.ts';
import { PlatestreamError } from '../../shared/errors.ts';
import { detectImageType } from '../image-header.ts';

/** One image to replay. */
export interface SourceImage {
  /** File name, or `frame N` for video frames. */
  name: string;
  img: Buffer;
  mime: ImageMime;
}

export type ReplaySource =
  | { kind: 'folder'; path: string }
  | { kind: 'manifest'; path: string }
  | { kind: 'video'; path: string; fps: number; ffmpegPath?: string }
  /**
   * Images made in memory by the caller (e.g. the synthetic plate scenes of `replay --synthetic N`): replay
   * does not know how they are made. `frames()` starts one pass; `count` is its length when known.
   */
  | { kind: 'generated'; name: string; count?: number; frames: () => AsyncIterable<SourceImage> };

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Image files of a folder in name order (numeric-aware: frame2 before frame10). */
export async function listFolder(path: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `replay: cannot read folder ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const files = names
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `replay: folder ${path} has no .jpg, .jpeg, .png or .webp files`,
    );
  }
  return files.map((n) => join(path, n));
}

/** A manifest: one image path per line (relative to the manifest's folder), blank lines and # comments skipped. */
export async function readManifest(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `replay: cannot read manifest ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const base = dirname(path);
  const files = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (isAbsolute(l) ? l : resolve(base, l)));
  if (files.length === 0)
    throw new PlatestreamError('BAD_REQUEST', `replay: manifest ${path} lists no images`);
  return files;
}

/** Number of images one pass over the source yields, when known without decoding (folders and manifests). */
export async function countSource(source: ReplaySource): Promise<number | undefined> {
  if (source.kind === 'folder') return (await listFolder(source.path)).length;
  if (source.kind === 'manifest') return (await readManifest(source.path)).length;
  if (source.kind === 'generated') return source.count;
  return undefined;
}

async function* readFiles(files: string[]): AsyncGenerator<SourceImage> {
  for (const file of files) {
    const img = await readFile(file);
    const mime = detectImageType(img);
    if (!mime) throw new PlatestreamError('BAD_REQUEST', `replay: ${file} is not a JPEG, PNG or WebP image`);
    yield { name: file, img, mime };
  }
}

/** One pass over the source. */
export async function* readSource(source: ReplaySource, signal?: AbortSignal): AsyncGenerator<SourceImage> {
  if (source.kind === 'folder') yield* readFiles(await listFolder(source.path));
  else if (source.kind === 'manifest') yield* readFiles(await readManifest(source.path));
  else if (source.kind === 'generated') yield* source.frames();
  else yield* videoFrames(source.path, source.fps, source.ffmpegPath ?? 'ffmpeg', signal);
}

/**
 * Decodes a video with ffmpeg at `fps` frames per second and yields each frame as a JPEG, streamed through
 * a pipe (no temporary files).
 */
export async function* videoFrames(
  path: string,
  fps: number,
  ffmpegPath: string,
  signal?: AbortSignal,
): AsyncGenerator<SourceImage> {
  await stat(path).catch((err: unknown) => {
    throw new PlatestreamError(
      'BAD_REQUEST',
      `replay: cannot read video ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  });
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', path, '-vf', `fps=${fps}`];
  args.push('-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1');
  const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((res, rej) => {
    child.once('error', (err) =>
      rej(
        new PlatestreamError(
          'BAD_REQUEST',
          `replay: cannot run ${ffmpegPath} (${err.message}); install ffmpeg or pass --ffmpeg PATH`,
          { cause: err },
        ),
      ),
    );
    child.once('close', (code) => res(code));
  });
  exited.catch(() => undefined);
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  let buf: Buffer = Buffer.alloc(0);
  let n = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        const end = jpegEnd(buf);
        if (end < 0) break;
        n += 1;
        yield { name: `${path} frame ${n}`, img: Buffer.from(buf.subarray(0, end)), mime: 'image/jpeg' };
        buf = buf.subarray(end);
      }
    }
    const code = await exited;
    if (code !== 0 && !signal?.aborted) {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `replay: ffmpeg failed on ${path} (exit ${code}): ${stderr.trim()}`,
      );
    }
    if (n === 0 && !signal?.aborted) {
      throw new PlatestreamError('BAD_REQUEST', `replay: ffmpeg produced no frames from ${path}`);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

/**
 * Length of the first complete JPEG at the start of `buf` (through its EOI marker), or -1 when more bytes
 * are needed. Walks marker segments and skips entropy-coded data (where 0xFF is always stuffed), so bytes
 * that look like EOI inside tables or scan data are not mistaken for the end.
 */
export function jpegEnd(buf: Buffer): number {
  if (buf.length < 4) return -1;
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new Error('video frame stream is not JPEG (no SOI marker)');
  let pos = 2;
  while (pos + 1 < buf.length) {
    if (buf[pos] !== 0xff) throw new Error(`malformed JPEG in the frame stream at byte ${pos}`);
    const marker = buf[pos + 1]!;
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd9) return pos + 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (pos + 4 > buf.length) return -1;
    const next = pos + 2 + buf.readUInt16BE(pos + 2);
    if (marker !== 0xda) {
      pos = next;
      continue;
    }
    // Start of scan: skip entropy-coded data up to the next real marker.
    let p = next;
    for (;;) {
      if (p + 1 >= buf.length) return -1;
      if (buf[p] === 0xff) {
        const m = buf[p + 1]!;
        if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) {
          p += 2;
          continue;
        }
        if (m === 0xff) {
          p += 1;
          continue;
        }
        break;
      }
      p += 1;
    }
    pos = p;
  }
  return -1;
}
