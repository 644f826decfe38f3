import { existsSync, statSync } from 'node:fs';
import { type CliIO, parseCommandArgs, processIO, usageError } from '../shared/cli/index.ts';
import { EnvReader } from '../shared/config/env-reader.ts';
import { PlatestreamError } from '../shared/errors.ts';
import { readRecognizerConfig } from './config.ts';
import { remedy, sha256File } from './loader.ts';
import { findModel, MODELS } from './manifest.ts';
import { modelPath } from './paths.ts';
import { pullModel } from './pull.ts';

export const summary = 'list or pull recognition models';

const HELP = `usage: platestream models list [--verify] [--json]
       platestream models pull <id> [--url URL] [--force]

list   shows every model of the manifest, whether its file is present (and, with --verify, whether its
       sha256 matches), and what it is for. Optional files live in LPR_MODEL_DIR.
pull   downloads an optional model from its upstream URL (or --url, a mirror) into LPR_MODEL_DIR and
       verifies its sha256. Offline: copy the file (name and sha256 in "models list") into LPR_MODEL_DIR
       by hand, then run "models list --verify".`;

async function list(argv: string[], modelDir: string, io: CliIO): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: { verify: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  const rows = [];
  for (const m of MODELS) {
    const path = modelPath(m, modelDir);
    const present = existsSync(path);
    let status = present ? 'present' : m.optional ? 'absent (optional)' : 'MISSING';
    let actual: string | undefined;
    if (present && values.verify) {
      actual = await sha256File(path);
      status = actual === m.sha256 ? 'ok (sha256 verified)' : 'CORRUPT (sha256 mismatch)';
    }
    rows.push({
      id: m.id,
      role: m.role,
      status,
      sha256: m.sha256,
      ...(actual !== undefined && actual !== m.sha256 ? { actualSha256: actual } : {}),
      path,
      bytes: present ? statSync(path).size : 0,
      purpose: m.purpose,
      get: remedy(m),
    });
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ modelDir, models: rows }, null, 2)}\n`);
  } else {
    io.stdout.write(`model folder (LPR_MODEL_DIR): ${modelDir}\n\n`);
    for (const r of rows) {
      io.stdout.write(
        `${r.id.padEnd(18)} ${r.role.padEnd(10)} ${r.status}\n    ${r.purpose}\n    ${r.path}\n    sha256 ${r.sha256}\n`,
      );
      if (r.actualSha256) io.stdout.write(`    the file's sha256 is ${r.actualSha256}\n`);
      if (!r.status.startsWith('present') && !r.status.startsWith('ok'))
        io.stdout.write(`    to get it: ${r.get}\n`);
    }
  }
  return rows.some((r) => r.status === 'MISSING' || r.status.startsWith('CORRUPT')) ? 1 : 0;
}

async function pull(argv: string[], modelDir: string, io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  const id = positionals[0];
  const entry = id ? findModel(id) : undefined;
  if (!entry) {
    const ids = MODELS.filter((m) => m.source.type === 'download').map((m) => m.id);
    throw new PlatestreamError('USAGE', `unknown model "${id ?? ''}"; downloadable: ${ids.join(', ')}`);
  }
  const target = modelPath(entry, modelDir);
  if (entry.source.type === 'download' && existsSync(target) && !values.force) {
    if ((await sha256File(target)) === entry.sha256) {
      io.stdout.write(`${entry.id}: already present and verified at ${target}\n`);
      return 0;
    }
    io.stderr.write(`${entry.id}: ${target} has a wrong sha256; downloading again\n`);
  }
  let lastPct = -1;
  const path = await pullModel(entry, modelDir, {
    ...(values.url ? { url: values.url } : {}),
    onProgress: (got, total) => {
      if (!total || !process.stderr.isTTY) return;
      const pct = Math.floor((got / total) * 100);
      if (pct !== lastPct) io.stderr.write(`\r${entry.id}: ${pct}%`);
      lastPct = pct;
    },
  });
  if (lastPct >= 0) io.stderr.write('\n');
  io.stdout.write(`${entry.id}: downloaded and verified (sha256 ${entry.sha256}) to ${path}\n`);
  return 0;
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (sub !== 'list' && sub !== 'pull')
    throw usageError(
      sub ? `unknown subcommand "${sub}"; use list or pull` : 'a subcommand is needed: list or pull',
    );
  const r = new EnvReader(io.env);
  const { modelDir } = readRecognizerConfig(r, io.env);
  r.finish();
  return sub === 'list' ? list(rest, modelDir, io) : pull(rest, modelDir, io);
}
