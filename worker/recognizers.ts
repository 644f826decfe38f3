import { PlatestreamError } from '../shared/errors.ts';
import type { Recognizer } from '../shared/recognizer.ts';

export type RecognizerFactory = (env: NodeJS.ProcessEnv) => Promise<Recognizer>;

/**
 * Recognisers selectable with LPR_RECOGNIZER. `onnx` is the default and the only one for production;
 * `noop` is for benchmarks; `test` is the deterministic test recogniser (test suites only).
 */
const FACTORIES: Record<string, RecognizerFactory> = {
  onnx: async (env) => (await import('../models/index.ts')).createOnnxRecognizer(env),
  noop: async () => new (await import('./noop-recognizer.ts')).NoopRecognizer(),
  test: async (env) => (await import('./test-recognizer.ts')).TestRecognizer.fromEnv(env),
};

export const RECOGNIZER_NAMES = Object.keys(FACTORIES);

/** Registers another recogniser under a name (e.g. a remote one); a later registration replaces an earlier one. */
export function registerRecognizer(name: string, factory: RecognizerFactory): void {
  FACTORIES[name] = factory;
}

export async function createRecognizer(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Recognizer> {
  const factory = FACTORIES[name];
  if (!factory) {
    throw new PlatestreamError(
      'CONFIG_INVALID',
      `LPR_RECOGNIZER: "${name}" is not one of ${Object.keys(FACTORIES).join(', ')}`,
    );
  }
  return factory(env);
}
