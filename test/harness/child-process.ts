import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (children run there). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** `platestream` as users run it (sources through tsx in a checkout). */
export const PLATESTREAM_BIN = join(ROOT, 'bin', 'platestream.js');

export interface Child {
  name: string;
  proc: ChildProcess;
  /** Exit code and signal, once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stderr (its pino log lines), the last `keepChars` characters. */
  output(): string;
  /** Still running. */
  alive(): boolean;
  /** Resolves once stderr contains `text` (now or later); rejects if the process exits first. */
  logged(text: string): Promise<void>;
}

export interface SpawnOptions {
  name?: string;
  /** Added to (and overriding) this process's environment; an undefined value removes a variable. */
  env?: Record<string, string | undefined>;
  /** How much stderr to keep (default 1 MB). */
  keepChars?: number;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/**
 * Starts `node <argv>` in the repository root as a real process: stdout ignored, stderr collected (the
 * logs), so tests can wait for a log line with waitFor(() => child.output().includes(...)).
 */
export function spawnNode(argv: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: childEnv(opts.env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const keep = opts.keepChars ?? 1024 * 1024;
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  proc.stderr?.on('data', (b: Buffer) => {
    const chunk = b.toString();
    out += chunk;
    if (out.length > keep) out = out.slice(-keep);
    for (const w of [...waiters]) {
      // Look a little behind this chunk too: the text may straddle two chunks.
      if (out.slice(-(chunk.length + w.text.length)).includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const name = opts.name ?? argv.join(' ');
  return {
    name,
    proc,
    exited,
    output: () => out,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    logged: (text) =>
      out.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ text, resolve });
            void exited.then(({ code, signal }) =>
              reject(
                new Error(
                  `${name} exited (${code ?? signal}) before logging "${text}":\n${out.slice(-2000)}`,
                ),
              ),
            );
          }),
  };
}

/** `platestream <args>` as a long-running child (ingest, notifier, ...). */
export function spawnPlatestream(args: string[], opts: SpawnOptions = {}): Child {
  return spawnNode([PLATESTREAM_BIN, ...args], { name: args[0], ...opts });
}

/** Runs `node <argv>` to completion and returns its exit code and output (killed past timeoutMs). */
export function runNode(
  argv: string[],
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, argv, { cwd: ROOT, env: childEnv(opts.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    proc.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Kills (SIGKILL) every child still running and waits until all have exited (call in afterAll). */
export async function killChildren(children: readonly Child[]): Promise<void> {
  for (const c of children) if (c.alive()) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
}
