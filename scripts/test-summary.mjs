// Prints vitest's totals as one plain line that CI can read.
//   node scripts/test-summary.mjs [.tmp/vitest.json]       -> "vitest: N passed, N failed, N skipped"
//   node scripts/test-summary.mjs --sum a.json b.json ...  -> "N passed, N failed, N skipped" over every run;
//     a run whose report is missing or unreadable (type check or lint failed before vitest) counts 1 failed.
// Exits 1 when anything failed or nothing passed.
import { readFileSync } from 'node:fs';

function counts(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return {
      passed: r.numPassedTests ?? 0,
      failed: r.numFailedTests ?? 0,
      skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    };
  } catch (err) {
    console.error(
      `test-summary: no vitest report in ${file} (${err.code ?? err.message}); counting that run as failed`,
    );
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

const args = process.argv.slice(2);
const sum = args[0] === '--sum';
const files = sum ? args.slice(1) : [args[0] ?? '.tmp/vitest.json'];
const t = { passed: 0, failed: 0, skipped: 0 };
for (const f of files) {
  const c = counts(f);
  t.passed += c.passed;
  t.failed += c.failed;
  t.skipped += c.skipped;
}
console.log(`${sum ? '' : 'vitest: '}${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
process.exit(t.failed > 0 || t.passed === 0 || files.length === 0 ? 1 : 0);
