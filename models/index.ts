import { PlatestreamError } from '../shared/errors.ts';
import type { Recognizer } from '../shared/recognizer.ts';

/** Creates the default ONNX recogniser from the environment (LPR_MODEL_DIR, LPR_* model options). */
export async function createOnnxRecognizer(_env: NodeJS.ProcessEnv = process.env): Promise<Recognizer> {
  throw new PlatestreamError('MODEL_INVALID', 'the ONNX recogniser is not built yet (see issue 4)');
}
