import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli.ts';

/** Runs the CLI with LPR_MODEL_DIR set, capturing stdout. */
async function cli(dir: string, argv: string[]): Promise<{ code: number; out: string }> {
  const saved = process.env.LPR_MODEL_DIR;
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.env.LPR_MODEL_DIR = dir;
  process.stdout.write = ((chunk: string) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await run(argv), out };
  } finally {
    process.stdout.write = write;
    if (saved === undefined) delete process.env.LPR_MODEL_DIR;
    else process.env.LPR_MODEL_DIR = saved;
  }
}

describe('platestream models list', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lpr-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lists registry models as present and the optional reader as absent, with how to get it', async () => {
    const { code, out } = await cli(dir, ['list', '--json']);
    expect(code).toBe(0);
    const { modelDir, models } = JSON.parse(out);
    expect(modelDir).toBe(dir);
    const byId = Object.fromEntries(models.map((m: { id: string }) => [m.id, m]));
    expect(byId['ppocr-v4-det'].status).toBe('present');
    expect(byId['cct-xs-v1-global'].status).toBe('absent (optional)');
    expect(byId['cct-xs-v1-global'].get).toContain('platestream models pull cct-xs-v1-global');
  });

  it('--verify flags a corrupt optional file and exits non-zero', async () => {
    await writeFile(join(dir, 'cct_xs_v1_global.onnx'), 'corrupt');
    const { code, out } = await cli(dir, ['list', '--verify']);
    expect(code).toBe(1);
    expect(out).toMatch(/cct-xs-v1-global\s+reader\s+CORRUPT \(sha256 mismatch\)/);
    expect(out).toMatch(/ppocr-v4-rec\s+reader\s+ok \(sha256 verified\)/);
  });

  it('rejects an unknown model id, naming the downloadable ones', async () => {
    await expect(cli(dir, ['pull', 'nope'])).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('cct-xs-v1-global'),
    });
  });
});
