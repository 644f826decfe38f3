#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a checkout (so a stale dist/ can never shadow them), and the
// compiled dist/ where the sources are absent (the Docker image, a packed install).
import { existsSync } from 'node:fs';

followParentUnderNpm();

const source = new URL('../cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(source) || !existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(compiled.href);
}

/**
 * `npx platestream worker` (and `npm exec`, `npm run`) puts npm and a shell between the caller and this
 * process; SIGTERM to npm ends npm without passing the signal on, and this process would go on running,
 * orphaned. So when npm started it, this process watches its parent and, once the parent is gone, sends
 * itself SIGTERM: the command shuts down gracefully as if it had been signalled. Run directly
 * (`node bin/platestream.js`, the `platestream` that `npm link` puts on PATH, Docker) nothing is watched and
 * signals arrive as sent.
 */
function followParentUnderNpm() {
  if (!process.env.npm_command || process.platform === 'win32') return;
  const parent = process.ppid;
  if (!parent || parent === 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if (err && err.code === 'EPERM') return;
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 500);
  timer.unref();
}
