import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { isPlatestreamError } from '../../shared/errors.ts';
import { EVENTS_DEFAULTS, readEventsConfig } from '../config.ts';

describe('readEventsConfig', () => {
  it('reads defaults, formats per camera, and the alert source', () => {
    const c = readEventsConfig(
      new EnvReader({ LPR_PLATE_FORMATS: 'gb', LPR_CAMERA_FORMATS: 'gate-1=br', EVENTS_MAX_GAP_MS: '5000' }),
    );
    expect(c.events).toMatchObject({
      latenessMs: EVENTS_DEFAULTS.latenessMs,
      maxGapMs: 5000,
      patterns: ['LL99LLL'],
      cameraPatterns: { 'gate-1': ['LLL9999', 'LLL9L99'] },
    });
    expect(c.alerts.source).toBe('events');
    expect(Object.isFrozen(c.events)).toBe(true);
  });

  it('reports every bad variable at once', () => {
    let err: unknown;
    try {
      readEventsConfig(
        new EnvReader({
          EVENTS_LATENESS_MS: '-1',
          EVENTS_MIN_READ_CONFIDENCE: '2',
          EVENTS_BLOCK_MS: '5000',
          EVENTS_SHUTDOWN_TIMEOUT_MS: '1000',
          LPR_ALERT_SOURCE: 'both',
          LPR_PLATE_FORMATS: 'atlantis',
        }),
      );
    } catch (e) {
      err = e;
    }
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    for (const name of [
      'EVENTS_LATENESS_MS',
      'EVENTS_MIN_READ_CONFIDENCE',
      'EVENTS_SHUTDOWN_TIMEOUT_MS',
      'EVENTS_CLAIM_IDLE_MS',
      'LPR_ALERT_SOURCE',
      'LPR_PLATE_FORMATS',
    ]) {
      expect((err as Error).message).toContain(name);
    }
  });
});
