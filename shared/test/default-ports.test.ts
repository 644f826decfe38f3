import { describe, expect, it } from 'vitest';
import { CAPTURE_DEFAULTS } from '../../capture/config.ts';
import { EVENTS_DEFAULTS } from '../../events/config.ts';
import { INGEST_DEFAULTS } from '../../ingest/config.ts';
import { WEB_DEFAULTS } from '../../web/config.ts';
import { WORKER_DEFAULTS } from '../../worker/config.ts';

describe('default listener ports', () => {
  it('every service listens on its own default port, so all stages can run on one host unconfigured', () => {
    const ports = {
      ingest: INGEST_DEFAULTS.port,
      web: WEB_DEFAULTS.port,
      worker: WORKER_DEFAULTS.httpPort,
      events: EVENTS_DEFAULTS.httpPort,
      capture: CAPTURE_DEFAULTS.httpPort,
    };
    const seen = new Map<unknown, string>();
    for (const [service, port] of Object.entries(ports)) {
      expect(
        seen.get(port),
        `${service} and ${seen.get(port)} both default to ${String(port)}`,
      ).toBeUndefined();
      seen.set(port, service);
    }
  });
});
