import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelEntry } from './manifest.ts';

/** Per-user folder for optional model files: $XDG_CACHE_HOME/platestream/models or ~/.cache/platestream/models. */
export function defaultModelDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.trim() !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'platestream', 'models');
}

/** Folder of an npm package, found through Node's resolver (works with hoisted and nested node_modules). */
export function packageDir(pkg: string): string | undefined {
  try {
    // The package only exports "./node"; resolve that and walk up to the folder holding package.json.
    let dir = dirname(fileURLToPath(import.meta.resolve(`${pkg}/node`)));
    for (let i = 0; i < 4; i++) {
      if (existsSync(join(dir, 'package.json'))) return dir;
      dir = dirname(dir);
    }
  } catch {
    // fall through to the lookup below
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'node_modules', pkg);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** Where a model file lives: inside its npm package, or in the model folder. */
export function modelPath(entry: ModelEntry, modelDir: string): string {
  if (entry.source.type === 'npm') {
    const dir = packageDir(entry.source.package);
    return dir ? join(dir, entry.source.path) : join('node_modules', entry.source.package, entry.source.path);
  }
  return resolve(modelDir, entry.file);
}
