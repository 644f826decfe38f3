import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/commands.ts';
import type { CliIO } from '../../shared/cli/index.ts';

function io(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

describe('platestream capture (command line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'platestream-capture-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a bad cameras file at start with every problem listed (exit 78), before connecting to anything', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'cameras:\n  - { id: "a b", url: "ftp://x" }\n  - { id: ok, url: "rtsp://h/s", fps: 500 }\n',
    );
    const r = io();
    expect(await main(['capture', '--config', file], r)).toBe(78);
    expect(r.err()).toContain('CONFIG_INVALID');
    expect(r.err()).toContain('3 problems');
    for (const p of ['cameras[0].id', 'cameras[0].url', 'cameras[1].fps']) expect(r.err()).toContain(p);
  });

  it('--check prints the table and exits 1 when a camera is unreachable; usage errors exit 2', async () => {
    const file = join(dir, 'cams.json');
    writeFileSync(
      file,
      JSON.stringify({ cameras: [{ id: 'gone', url: 'http://127.0.0.1:1/snap.jpg', stall_timeout_s: 2 }] }),
    );
    const r = io();
    expect(await main(['capture', '--check', file], r)).toBe(1);
    expect(r.out()).toMatch(/^camera\s+reachable\s+codec\s+resolution\s+fps/);
    expect(r.out()).toMatch(/gone\s+NO/);
    const json = io();
    expect(await main(['capture', '--check', file, '--json'], json)).toBe(1);
    expect(JSON.parse(json.out()).cameras[0]).toMatchObject({ camera: 'gone', reachable: false });
    expect(await main(['capture', '--url', 'rtsp://h/s'], io())).toBe(2); // --camera missing
    expect(await main(['capture'], io())).toBe(2); // nothing to capture
    expect(await main(['capture', '--config', file, '--fps', '3'], io())).toBe(2);
  });
});
