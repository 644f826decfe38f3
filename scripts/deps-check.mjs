// npm run deps:check — dependency drift and engine constraints, so majors do not fall behind unnoticed.
//
// 1. Every direct dependency against the registry's `latest` (npm view, not npm outdated: npm outdated
//    quietly skips a newer major whose engines exclude the running Node, which is how majors drift).
//    A newer major is a finding unless package.json's depsCheck.holdMajors names the package with a reason.
// 2. Engine constraints: our engines.node, the engines.node of each newer major (what moving to it needs),
//    every installed runtime package (package-lock.json) whose engines.node excludes the oldest Node we
//    support, and every dev-only package whose engines.node excludes the Node running this check (the one
//    you develop on) — a finding unless depsCheck.engineExceptions names it with a reason.
// Exit status: 0 nothing to act on, 1 findings (listed), 2 the registry could not be asked.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import semver from 'semver';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const holds = pkg.depsCheck?.holdMajors ?? {};
const exceptions = pkg.depsCheck?.engineExceptions ?? {};
const ourRange = pkg.engines?.node ?? '*';
const floor = semver.minVersion(ourRange)?.version ?? '0.0.0';
const findings = [];

async function latestOf(name) {
  const { stdout } = await run('npm', ['view', `${name}@latest`, 'version', 'engines', '--json'], {
    maxBuffer: 1 << 20,
  });
  // One field present: npm prints just the version string.
  const v = JSON.parse(stdout);
  return typeof v === 'string' ? { version: v } : { version: v.version, node: v.engines?.node };
}

const direct = { ...pkg.dependencies, ...pkg.devDependencies };
const names = Object.keys(direct).sort();
let latest;
try {
  latest = await Promise.all(names.map(latestOf));
} catch (err) {
  console.error(`deps:check: could not ask the registry: ${err.message.split('\n')[0]}`);
  process.exit(2);
}

console.log(`engines.node of this project: ${ourRange} (oldest supported ${floor})\n`);
console.log('direct dependencies behind the registry (M = newer major):');
let behind = 0;
names.forEach((name, i) => {
  const installed = lock.packages[`node_modules/${name}`]?.version;
  const l = latest[i];
  if (!installed || !l.version || !semver.gt(l.version, installed)) return;
  behind++;
  const major = semver.major(l.version) > semver.major(installed);
  const needs = l.node
    ? `, needs node ${l.node}${semver.satisfies(floor, l.node) ? '' : ` (excludes ${floor})`}`
    : '';
  const hold = major && holds[name] ? `  [held: ${holds[name]}]` : '';
  console.log(`  ${major ? 'M' : ' '} ${name} ${installed} -> ${l.version}${needs}${hold}`);
  if (major && !holds[name]) findings.push(`${name} is a major behind (${installed} -> ${l.version})`);
});
if (behind === 0) console.log('  (none)');
for (const name of Object.keys(holds)) {
  const i = names.indexOf(name);
  const installed = lock.packages[`node_modules/${name}`]?.version;
  if (i < 0 || !installed || semver.major(latest[i].version) <= semver.major(installed)) {
    findings.push(`depsCheck.holdMajors.${name} holds nothing any more: remove it`);
  }
}

const here = process.versions.node;
console.log(
  `\ninstalled packages whose engines.node excludes node ${floor} (runtime) or ${here} (dev, this machine):`,
);
let conflicts = 0;
for (const [path, p] of Object.entries(lock.packages)) {
  if (!path.startsWith('node_modules/') || !p.engines?.node || p.optional) continue;
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const against = p.dev ? here : floor;
  if (semver.satisfies(against, p.engines.node)) continue;
  conflicts++;
  const note = exceptions[name] ? `  [accepted: ${exceptions[name]}]` : '';
  console.log(`  ${name}@${p.version} (${p.dev ? 'dev' : 'runtime'}) needs node ${p.engines.node}${note}`);
  if (!exceptions[name])
    findings.push(`${name}@${p.version} needs node ${p.engines.node}, excluding ${against}`);
}
if (conflicts === 0) console.log('  (none)');

if (findings.length > 0) {
  console.log(`\ndeps:check: ${findings.length} to act on:`);
  for (const f of findings) console.log(`  - ${f}`);
  process.exit(1);
}
console.log('\ndeps:check: nothing to act on (held majors and accepted engine conflicts are listed above)');
