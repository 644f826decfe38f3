import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from '../../test/harness/index.ts';

const SCRIPT = 'scripts/test-summary.mjs';

function report(dir: string, name: string, passed: number, failed: number, pending: number): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: pending,
      numTodoTests: 1,
    }),
  );
  return file;
}

describe('test-summary (the closing lines .ci/run prints)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'test-summary-'));

  it('prints one run as "vitest: N passed, N failed, N skipped" and exits 0 when nothing failed', async () => {
    const r = await runNode([SCRIPT, report(dir, 'one.json', 17, 0, 2)]);
    expect(r.stdout).toBe('vitest: 17 passed, 0 failed, 3 skipped\n');
    expect(r.code).toBe(0);
  });

  it('--sum adds every run into one plain line and exits 1 when any run failed', async () => {
    const a = report(dir, 'a.json', 200, 0, 4);
    const b = report(dir, 'b.json', 198, 2, 4);
    const r = await runNode([SCRIPT, '--sum', a, b]);
    expect(r.stdout).toBe('398 passed, 2 failed, 10 skipped\n');
    expect(r.code).toBe(1);
  });

  it('--sum counts a run without a report (type check or lint failed first) as one failure', async () => {
    const a = report(dir, 'c.json', 5, 0, 0);
    const r = await runNode([SCRIPT, '--sum', a, join(dir, 'missing.json')]);
    expect(r.stdout).toBe('5 passed, 1 failed, 1 skipped\n');
    expect(r.stderr).toContain('no vitest report');
    expect(r.code).toBe(1);
  });
});
