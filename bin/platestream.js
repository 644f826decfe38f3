#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a checkout (so a stale dist/ can never shadow them), and the
// compiled dist/ where the sources are absent (the Docker image, a packed install).
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(source) || !existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(compiled.href);
}
