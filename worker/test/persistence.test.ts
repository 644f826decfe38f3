import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import {
  canOwnServer,
  PLATESTREAM_BIN,
  runNode,
  type TestRedis,
  useRedis,
} from '../../test/harness/index.ts';
import { collectStats, formatStats } from '../stats.ts';
import { Worker } from '../worker.ts';
import { testOptions } from './helpers.ts';
import { TestRecognizer } from './test-recognizer.ts';

/**
 * Issue 17 item 4: exactly-once needs appendonly yes. Start-up reads CONFIG GET appendonly, warns loudly and
 * sets platestream_redis_appendonly when it is off; `stats` says so; a refused CONFIG reads as "unknown".
 */
describe.skipIf(!canOwnServer())('Redis persistence check', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis(); // a private server without AOF
  });
  afterAll(async () => {
    await t.close();
  });

  async function startWorker(url: string) {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const config = { ...t.config(), url };
    const w = new Worker({ redis: config, options: testOptions(), recognizer: new TestRecognizer(), logger });
    await w.start();
    const gauge = (await w.metrics.registry.getSingleMetric('platestream_redis_appendonly')!.get()).values[0]
      ?.value;
    await w.close();
    return { log: lines.join(''), gauge, prefix: config.prefix };
  }

  it('appendonly no: a warning at start-up, gauge 0, and stats says so', async () => {
    expect(await t.client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    const r = await startWorker(t.url);
    expect(r.gauge).toBe(0);
    expect(r.log).toMatch(/"level":40[^\n]*REDIS PERSISTENCE OFF[^\n]*appendonly yes/);
    const stats = await collectStats(t.client, new StreamKeys(r.prefix));
    expect(stats.redis.appendonly).toBe('no');
    expect(formatStats(stats)).toMatch(/appendonly no\s+WARNING/);
    const cli = await runNode([PLATESTREAM_BIN, 'stats', '--json'], {
      env: { REDIS_URL: t.url, LPR_PREFIX: r.prefix },
      timeoutMs: 30_000,
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).redis).toEqual({ appendonly: 'no' });
  });

  it('appendonly yes: no warning, gauge 1', async () => {
    await t.client.config('SET', 'appendonly', 'yes');
    try {
      const r = await startWorker(t.url);
      expect(r.gauge).toBe(1);
      expect(r.log).not.toContain('REDIS PERSISTENCE OFF');
    } finally {
      await t.client.config('SET', 'appendonly', 'no');
    }
  });

  it('CONFIG refused to the ACL user: "unknown" (gauge -1), start-up goes on', async () => {
    await t.client.call('ACL', 'SETUSER', 'noconfig', 'on', '>secret-pw', '~*', '&*', '+@all', '-config');
    const url = t.url.replace('redis://', 'redis://noconfig:secret-pw@');
    const r = await startWorker(url);
    expect(r.gauge).toBe(-1);
    expect(r.log).toMatch(/appendonly[^\n]*unknown/);
    const cli = await runNode([PLATESTREAM_BIN, 'stats'], {
      env: { REDIS_URL: url, LPR_PREFIX: r.prefix },
      timeoutMs: 30_000,
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/appendonly unknown/);
  });
});
