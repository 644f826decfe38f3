// Prints vitest's totals as one plain line ("vitest: N passed, N failed, N skipped") that CI can read.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.tmp/vitest.json';
const r = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
process.exit(r.numFailedTests > 0 || r.numPassedTests === 0 ? 1 : 0);
