import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canOwnServer, runNode } from '../harness/index.ts';

const modelDir = process.env.LPR_MODEL_DIR ?? '';
const reader =
  modelDir && existsSync(join(modelDir, 'cct_xs_v1_global.onnx')) ? 'CCT' : 'PP-OCRv4 (no CCT model)';

/**
 * Issue 5: `npm run demo` end to end, as a user runs it: private redis-server, ingest, two workers and the
 * events stage as real processes, synthetic vehicle passes over HTTP, every frame and one line per vehicle
 * event printed (issue 11), clean stop. Must finish within 60 s.
 */
describe.skipIf(!canOwnServer())('npm run demo', () => {
  it(`runs end to end within 60 s and prints every frame read and one event per vehicle (reader: ${reader})`, async () => {
    const { code, stdout, stderr } = await runNode(
      ['--import', 'tsx', 'cli/demo.ts', '--vehicles', '2', '--workers', '2', '--timeout', '50'],
      { env: { LOG_LEVEL: 'warn', REDIS_URL: undefined }, timeoutMs: 58_000 },
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const lines = stdout.split('\n');
    const sent = Number(/sending (\d+) frames of 2 vehicles/.exec(stdout)?.[1]);
    expect(sent, stdout).toBeGreaterThanOrEqual(2 * 6);
    const reads = lines.filter((l) => /^[✓✗] {2}cam-\d/.test(l));
    expect(reads, stdout).toHaveLength(sent);
    expect(stdout).toContain(`${sent}/${sent} frames have a result`);
    // Most frames read exactly (some show no vehicle, some a plate far away or partly hidden).
    expect(reads.filter((l) => l.startsWith('✓')).length, stdout).toBeGreaterThanOrEqual(sent * 0.6);
    // One event per vehicle, after the frames; with the plate reader each carries its vehicle's plate.
    const events = lines.filter((l) => /^[✓✗] {2}vehicle {2}cam-\d/.test(l));
    expect(events, stdout).toHaveLength(2);
    const exact = events.filter((l) => l.startsWith('✓')).length;
    expect(exact, stdout).toBeGreaterThanOrEqual(reader === 'CCT' ? 2 : 1);
    expect(stdout).toContain(`2 vehicles, 2 events, ${exact} with the vehicle's true plate`);
    expect(stdout).toMatch(/stopped ingest, workers, the events stage and Redis cleanly/);
    // A clean run leaves no temp folder behind (the process logs are kept only when something failed).
    const logDir = /process logs in (\S+)/.exec(stdout)?.[1];
    expect(logDir, stdout).toBeTruthy();
    expect(existsSync(logDir!), `${logDir} left behind`).toBe(false);
  }, 60_000);
});
