export { announceWatchlistChange, WatchlistAdmin } from './admin.ts';
export { readWatchlistConfig, WATCHLIST_DEFAULTS, type WatchlistConfig } from './config.ts';
export { createEnricher, type EnricherOptions } from './enricher.ts';
export type { WatchlistEntry } from './entry.ts';
import type { WatchlistLookup } from './lookup.ts';
export { type LookupHit, type LookupResult, WatchlistLookup } from './lookup.ts';
export { assertMigrated, migrate } from './migrate.ts';
export { WatchlistStore } from './store.ts';

/** What the worker needs from the watchlist: one lookup per frame's plate, and close() on shutdown. */
export type Enricher = Pick<WatchlistLookup, 'lookup' | 'close'>;
