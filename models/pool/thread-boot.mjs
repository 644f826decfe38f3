// Starts a recogniser thread from the TypeScript sources: a worker thread gets neither tsx's loader (vitest
// runs its own transform) nor, reliably, the parent's; so it registers tsx first, then imports the .ts entry
// the pool names. The compiled dist/ starts thread.js directly and never loads this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
