import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PLATESTREAM_BIN, runNode } from '../../test/harness/index.ts';
import { findModel } from '../manifest.ts';

/** `platestream models` as an operator runs it: checksums shown, corrupt files and offline pulls explained. */
describe('platestream models (real processes)', () => {
  let dir: string;
  const cct = findModel('cct-xs-v1-global')!;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lpr-models-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const models = (args: string[]) =>
    runNode([PLATESTREAM_BIN, 'models', ...args], { env: { LPR_MODEL_DIR: dir }, timeoutMs: 30_000 });

  it('list shows each model sha256; --verify exits 1 on a corrupt file and shows its checksum', async () => {
    const listed = await models(['list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`sha256 ${cct.sha256}`);
    expect(listed.stdout).toContain(`sha256 ${findModel('ppocr-v4-det')!.sha256}`);
    const json = JSON.parse((await models(['list', '--json'])).stdout) as {
      models: { id: string; sha256: string }[];
    };
    expect(json.models.find((m) => m.id === cct.id)!.sha256).toBe(cct.sha256);

    await writeFile(join(dir, cct.file), 'not a model');
    const verify = await models(['list', '--verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/cct-xs-v1-global\s+reader\s+CORRUPT/);
    const actual = createHash('sha256').update('not a model').digest('hex');
    expect(verify.stdout).toContain(`the file's sha256 is ${actual}`);
    await rm(join(dir, cct.file));
  }, 120_000);

  it('pull without a network says why and how to install the file offline', async () => {
    // Nothing listens on this port: the same failure as a machine without a route to the internet.
    const url = `http://127.0.0.1:${await freePort()}/cct_xs_v1_global.onnx`;
    const r = await models(['pull', cct.id, '--url', url]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^platestream models: \[MODEL_INVALID\] /);
    expect(lines[0]).toContain('ECONNREFUSED');
    expect(lines[0]).toContain(
      `copy ${cct.file} (sha256 ${cct.sha256}) from a machine that has it into ${dir}`,
    );
    expect(lines[0]).toContain('models list --verify');
    expect(lines[0]).toContain('--url');
  }, 120_000);

  it('usage mistakes exit 2 with one line', async () => {
    const r = await models(['list', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^platestream models: \[USAGE\] .*--bogus/);
    const sub = await models(['lst']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/\[USAGE\] unknown subcommand "lst"/);
  }, 120_000);
});
