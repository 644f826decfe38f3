import { describe, expect, inject, it } from 'vitest';
import { canOwnServer, runNode } from '../../test/harness/index.ts';

// A smoke run of `npm run bench:ingest -- --json` with tiny numbers: it checks the script still works end
// to end (ingest process, TCP relay, every mode, the JSON contract), not how fast anything is.
describe('bench:ingest', () => {
  it('runs every mode and prints one JSON object with the documented fields', async () => {
    // The bench starts a private redis-server when REDIS_URL is unset, as it does for users.
    const env = { LOG_LEVEL: 'warn', REDIS_URL: canOwnServer() ? undefined : inject('redisUrl') };
    const { code, stdout, stderr } = await runNode(
      [
        '--import',
        'tsx',
        'bench/ingest.ts',
        '--json',
        '--frames',
        '60',
        '--rounds',
        '2',
        '--warmup',
        '20',
        '--concurrency',
        '4',
        '--size',
        String(20 * 1024),
      ],
      { env, timeoutMs: 60_000 },
    );
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim());
    for (const key of ['httpFps', 'xaddFps', 'rawFps', 'relayFps']) expect(out[key]).toBeGreaterThan(0);
    for (const key of ['httpRatio', 'xaddRatio', 'relayRatio']) {
      expect(out[key]).toBeGreaterThan(0);
      expect(out[key]).toBeLessThan(10);
    }
    expect(out.frameBytes).toBe(20 * 1024);
    expect(out.runs.http).toHaveLength(2);
    expect(out.roundRatios.http).toHaveLength(2);
    expect(out.ingestProcesses).toBeGreaterThanOrEqual(1);
    expect(out.cpuUsPerFrame.http.middle).toBeGreaterThan(0);
  }, 90_000);

  it('reports every bad option together and exits 2', async () => {
    const err = await runNode(
      ['--import', 'tsx', 'bench/ingest.ts', '--frames', '0', '--modes', 'http,bogus'],
      { timeoutMs: 30_000 },
    );
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/--frames must be a positive integer/);
    expect(err.stderr).toMatch(/unknown mode "bogus"/);
    expect(err.stderr).toMatch(/--modes must include raw/);
  });
});
