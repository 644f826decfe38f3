import { describe, expect, it } from 'vitest';
import { rtspUnavailable } from '../../capture/rtsp-test-server.ts';
import { canOwnServer, runNode } from '../../test/harness/index.ts';

// A smoke run of `npm run bench:capture -- --json` with tiny numbers: the script still works end to end
// (clip, RTSP server, capture process, consumer, reconnect, the JSON contract), not how fast anything is.
const missing =
  rtspUnavailable() ?? (canOwnServer() ? undefined : 'bench:capture starts its own redis-server');
if (missing) console.warn(`SKIPPED bench:capture smoke test: ${missing}`);

describe.skipIf(missing !== undefined)('bench:capture', () => {
  it('prints one JSON object with cameras, fpsPerCamera, cpuPerCameraPct and reconnectMs', async () => {
    const { code, stdout, stderr } = await runNode(
      [
        '--import',
        'tsx',
        'bench/capture.ts',
        '--json',
        '--cameras',
        '2',
        '--fps',
        '2',
        '--seconds',
        '3',
      ].concat(['--width', '320', '--height', '240', '--source-fps', '10', '--bitrate', '500k']),
      { env: { LOG_LEVEL: 'warn', REDIS_URL: undefined }, timeoutMs: 120_000 },
    );
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim());
    expect(out.cameras).toBe(2);
    expect(out.fpsPerCamera).toBeGreaterThan(0);
    expect(out.fpsPerCamera).toBeLessThan(4);
    expect(out.cpuPerCameraPct).toBeGreaterThan(0);
    expect(out.reconnectMs).toBeGreaterThan(0);
    expect(out.ffmpegChildren).toBe(2);
  }, 150_000);
});
