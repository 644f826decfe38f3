// Copies the non-TypeScript files the compiled code reads at run time (Lua scripts, model manifests,
// SQL migrations, the web page's static files) into dist/, beside the compiled modules that load them.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(lua|json|sql|txt|md|html|css)$/;
// The page's scripts are plain browser JavaScript, not compiled: copied as they are.
const STATIC = join('web', 'static');
const ROOTS = ['shared', 'ingest', 'capture', 'worker', 'models', 'watchlist', 'alerts', 'events', 'results', 'cli', 'web', 'privacy'];

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'test') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (ASSET.test(name) || (dir === STATIC && name.endsWith('.js'))) cpSync(p, join('dist', p));
  }
}
for (const root of ROOTS) if (existsSync(root)) walk(root);
