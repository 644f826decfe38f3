import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/harness/index.ts';
import { ERROR_CODES } from '../errors.ts';

/**
 * Docs that cannot drift (as Fastify's errors test does): every error code of the catalogue and every
 * environment variable the code reads must be named in README.md or docs/*.md.
 */
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.tmp', 'test', 'coverage']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!SKIP_DIRS.has(name) && !name.startsWith('.')) sourceFiles(p, out);
    } else if (/\.(ts|mjs)$/.test(name) && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function docsText(): string {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => readFileSync(join(ROOT, 'docs', f), 'utf8'));
  return [readFileSync(join(ROOT, 'README.md'), 'utf8'), ...docs].join('\n');
}

/** Names passed to an EnvReader method or read from an environment object, with the file reading them. */
function envVariables(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\.(?:int|string|bool|number|oneOf|optionalString|bytes|problem)(?:<[^>]*>)?\(\s*'([A-Z][A-Z0-9_]+)'/g,
    /\benv\.([A-Z][A-Z0-9_]{2,})\b/g,
    /\benv\[\s*'([A-Z][A-Z0-9_]+)'\s*\]/g,
  ];
  for (const file of sourceFiles(ROOT)) {
    const text = readFileSync(file, 'utf8');
    for (const re of patterns) {
      for (const m of text.matchAll(re)) if (!found.has(m[1]!)) found.set(m[1]!, relative(ROOT, file));
    }
  }
  return found;
}

/** Variables that belong to the platform, not to this project. */
const NOT_OURS = new Set(['HOME', 'NODE_ENV', 'PATH', 'CI', 'TERM']);

describe('documentation', () => {
  const docs = docsText();

  it("the README's layout table lists every top-level folder, and only those", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = readme.slice(
      readme.indexOf('### Layout'),
      readme.indexOf('\n## ', readme.indexOf('### Layout')),
    );
    const listed = [...layout.matchAll(/^\| `([a-z-]+)\/` \|/gm)].map((m) => m[1]).sort();
    // Folders with tracked files (untracked ones such as a local models-cache/ are not part of the layout).
    const tracked = spawnSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' });
    const folders =
      tracked.status === 0
        ? [
            ...new Set(
              tracked.stdout
                .split('\n')
                .filter((f) => f.includes('/'))
                .map((f) => f.split('/')[0]!),
            ),
          ]
            .filter((f) => !f.startsWith('.'))
            .sort()
        : readdirSync(ROOT)
            .filter((f) => !f.startsWith('.') && !['node_modules', 'dist', 'coverage'].includes(f))
            .filter((f) => statSync(join(ROOT, f)).isDirectory())
            .sort();
    expect(listed).toEqual(folders);
    // Every folder with TypeScript is type-checked (tsconfig.json: tests included) and every code folder
    // built (tsconfig.build.json), so a new stage cannot slip past `npm run typecheck`.
    const tsFolders = folders.filter((f) =>
      tracked.stdout.split('\n').some((p) => p.startsWith(`${f}/`) && p.endsWith('.ts')),
    );
    const include = (file: string) =>
      (JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { include: string[] }).include;
    expect(tsFolders.filter((f) => !include('tsconfig.json').includes(f))).toEqual([]);
    const notBuilt = tsFolders.filter((f) => !['test', 'bench', 'scripts', 'bin', 'docs'].includes(f));
    expect(notBuilt.filter((f) => !include('tsconfig.build.json').includes(f))).toEqual([]);
  });

  it('names every error code of the catalogue', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !docs.includes(code));
    expect(missing).toEqual([]);
  });

  it('names every environment variable the code reads', () => {
    const vars = envVariables();
    // The scan must see the variables we know are read, or it is not scanning anything.
    for (const known of ['REDIS_URL', 'WORKER_CONCURRENCY', 'NOTIFIER_SECRET', 'LPR_MODEL_DIR', 'LOG_LEVEL'])
      expect(vars.has(known), known).toBe(true);
    const missing = [...vars]
      .filter(([name]) => !NOT_OURS.has(name) && !new RegExp(`\\b${name}\\b`).test(docs))
      .map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
  });
});
