// Copies the non-TypeScript files the compiled code reads at run time (Lua scripts, model manifests,
// SQL migrations) into dist/, beside the compiled modules that load them.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(lua|json|sql|txt|md)$/;
const ROOTS = ['shared', 'ingest', 'capture', 'worker', 'models', 'watchlist', 'alerts', 'events', 'results', 'cli'];

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'test') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (ASSET.test(name)) cpSync(p, join('dist', p));
  }
}
for (const root of ROOTS) if (existsSync(root)) walk(root);
