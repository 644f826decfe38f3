import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canOwnServer, runNode } from '../harness/index.ts';

const modelDir = process.env.LPR_MODEL_DIR ?? '';
const reader =
  modelDir && existsSync(join(modelDir, 'cct_xs_v1_global.onnx')) ? 'CCT' : 'PP-OCRv4 (no CCT model)';

/**
 * Issue 5: `npm run demo` end to end, as a user runs it: private redis-server, ingest and two workers as
 * real processes, synthetic frames over HTTP, every plate printed, clean stop. Must finish within 60 s.
 */
describe.skipIf(!canOwnServer())('npm run demo', () => {
  it(`runs end to end within 60 s and prints the synthetic plates read correctly (reader: ${reader})`, async () => {
    const { code, stdout, stderr } = await runNode(
      ['--import', 'tsx', 'cli/demo.ts', '--frames', '12', '--workers', '2', '--timeout', '50'],
      { env: { LOG_LEVEL: 'warn', REDIS_URL: undefined }, timeoutMs: 58_000 },
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const lines = stdout.split('\n');
    const reads = lines.filter((l) => /^[✓✗] {2}cam-\d/.test(l));
    expect(reads, stdout).toHaveLength(12);
    const correct = reads.filter((l) => l.startsWith('✓')).length;
    expect(correct, stdout).toBeGreaterThanOrEqual(11);
    expect(stdout).toMatch(/12\/12 frames have a result/);
    expect(stdout).toMatch(/stopped ingest, workers and Redis cleanly/);
    // A clean run leaves no temp folder behind (the process logs are kept only when something failed).
    const logDir = /process logs in (\S+)/.exec(stdout)?.[1];
    expect(logDir, stdout).toBeTruthy();
    expect(existsSync(logDir!), `${logDir} left behind`).toBe(false);
  }, 60_000);
});
