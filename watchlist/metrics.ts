import { Counter, type Registry } from 'prom-client';

/** Prometheus counters of the watchlist lookup; registered only in the registry the caller passes. */
export class WatchlistMetrics {
  readonly lookups: Counter<'result'>;
  readonly dbQueries: Counter;
  readonly unavailable: Counter<'reason'>;

  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    this.lookups = new Counter({
      name: 'platestream_watchlist_lookups_total',
      help: 'Watchlist lookups by result: hit, fuzzy (hit within the edit distance), miss, unknown.',
      labelNames: ['result'],
      registers,
    });
    this.dbQueries = new Counter({
      name: 'platestream_watchlist_db_queries_total',
      help: 'Queries the watchlist lookup sent to PostgreSQL (cache fills and fuzzy index loads).',
      registers,
    });
    this.unavailable = new Counter({
      name: 'platestream_watchlist_unavailable_total',
      help: 'Lookups answered "unknown" because PostgreSQL or Redis failed or was timed out.',
      labelNames: ['reason'],
      registers,
    });
  }
}
