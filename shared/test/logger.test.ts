import { describe, expect, it } from 'vitest';
import { EnvReader } from '../config/env-reader.ts';
import { LOG_DEFAULTS, readLogConfig } from '../config/logger-config.ts';
import { runNode } from '../../test/harness/index.ts';

const MAIN = 'shared/test/log-main.ts';

/** Runs log-main.ts with LOG_FORMAT (stderr is a pipe, as under systemd, Docker or a log shipper). */
async function probe(format: string | undefined) {
  const r = await runNode(['--import', 'tsx', MAIN], {
    env: { LOG_FORMAT: format, LOG_LEVEL: 'info', LOG_PLATES: undefined },
    timeoutMs: 60_000,
  });
  expect(r.code, r.stderr).toBe(0);
  return { stderr: r.stderr, prettyLoaded: (JSON.parse(r.stdout) as { prettyLoaded: boolean }).prettyLoaded };
}

describe('LOG_FORMAT', () => {
  it('is read in the one environment pass, defaulting to auto, and a bad value is reported', () => {
    expect(readLogConfig(new EnvReader({})).format).toBe('auto');
    expect(LOG_DEFAULTS.format).toBe('auto');
    expect(readLogConfig(new EnvReader({ LOG_FORMAT: 'pretty' })).format).toBe('pretty');
    const r = new EnvReader({ LOG_FORMAT: 'yaml', LOG_LEVEL: 'loud' });
    readLogConfig(r);
    expect(() => r.finish()).toThrow(
      /LOG_LEVEL: "loud"[\s\S]*LOG_FORMAT: "yaml" is not one of auto, json, pretty/,
    );
  });

  it('json and auto (stderr not a terminal) write one JSON object per line and never load pino-pretty', async () => {
    for (const format of ['json', undefined]) {
      const { stderr, prettyLoaded } = await probe(format);
      const line = JSON.parse(stderr.trim()) as Record<string, unknown>;
      expect(line).toMatchObject({
        level: 30,
        module: 'probe',
        msg: 'probe line',
        plate: '[plate]',
        frames: 3,
      });
      expect(prettyLoaded).toBe(false);
    }
  });

  it('pretty writes readable lines through pino-pretty, plates still redacted, no colour codes off a terminal', async () => {
    const { stderr, prettyLoaded } = await probe('pretty');
    expect(prettyLoaded).toBe(true);
    expect(stderr).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(platestream\): probe line\n/);
    expect(stderr).toContain('module: "probe"');
    expect(stderr).toContain('plate: "[plate]"');
    expect(stderr).not.toContain('AB12CDE');
    expect(stderr).not.toContain('\u001b[');
    expect(() => JSON.parse(stderr.trim())).toThrow();
  });
});
