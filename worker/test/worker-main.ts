// TEST ONLY: `platestream worker` with the deterministic TestRecognizer (TEST_RECOGNIZER_DELAY_MS adds model
// time), for tests that run workers as real processes (see child.ts). Production has no test recogniser.
import { processIO } from '../../shared/cli/index.ts';
import { runWorker } from '../cli.ts';
import { TestRecognizer } from './test-recognizer.ts';

process.exitCode = await runWorker(process.argv.slice(2), processIO(), {
  recognizer: TestRecognizer.fromEnv(process.env),
});
