import { describe, expect, inject, it } from 'vitest';
import { canOwnServer, runNode } from '../../test/harness/index.ts';

// A smoke run of `npm run bench:web -- --json` with tiny numbers: the script still works end to end (a web
// process, SSE clients, the JSON contract), not how fast anything is.
describe('bench:web', () => {
  it('delivers every entry to every client and prints the documented fields', async () => {
    const env = { LOG_LEVEL: 'warn', REDIS_URL: canOwnServer() ? undefined : inject('redisUrl') };
    const { code, stdout, stderr } = await runNode(
      ['--import', 'tsx', 'bench/web.ts', '--json', '--clients', '8', '--entries', '40', '--rate', '200'],
      { env, timeoutMs: 60_000 },
    );
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim());
    expect(out).toMatchObject({
      clients: 8,
      entries: 40,
      deliveredAll: true,
      resumedAll: true,
      messages: 320,
    });
    expect(out.p95DeliveryMs).toBeGreaterThanOrEqual(0);
    expect(out.rssMb).toBeGreaterThan(0);
  });
});
