import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertBody } from '../../alerts/deliver.ts';
import { encodeResult, type ResultRecord } from '../../shared/codec/result-codec.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import {
  PLATESTREAM_BIN,
  runNode,
  type TestRedis,
  uniquePrefix,
  useRedis,
} from '../../test/harness/index.ts';

function result(over: Partial<ResultRecord>): ResultRecord {
  return {
    frame: '1-0',
    camera: 'gate',
    ts: Date.now(),
    plate: 'AB123CD',
    confidence: 0.9,
    plates: [],
    model: 'test',
    worker: 'w1',
    timings: { totalMs: 5 },
    ...over,
  };
}

/** One entry with an absurd capture time (written before ingest refused such ts) must not stop a reader. */
describe('readers and bad entries', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('results tail --from 0 prints every entry, marking a capture time Date cannot show', async () => {
    const prefix = uniquePrefix('bad');
    const keys = new StreamKeys(prefix);
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ plate: 'GOOD1' })));
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ plate: 'HUGE1', ts: 2 ** 53 - 1 })));
    await t.client.xadd(keys.results, '*', 'camera', 'gate', 'ts', 'not-a-number');
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ plate: 'GOOD2' })));
    for (const json of [false, true]) {
      const { code, stdout, stderr } = await runNode(
        [
          PLATESTREAM_BIN,
          'results',
          'tail',
          '--no-follow',
          '--all',
          '--from',
          '0',
          ...(json ? ['--json'] : []),
        ],
        { env: { REDIS_URL: t.url, LPR_PREFIX: prefix }, timeoutMs: 30_000 },
      );
      expect(code, stderr).toBe(0);
      expect(stderr).not.toContain('RangeError');
      for (const plate of ['GOOD1', 'HUGE1', 'GOOD2']) expect(stdout).toContain(plate);
      if (!json) expect(stdout).toMatch(/bad ts 9007199254740/);
    }
    await t.cleanup(prefix);
  });

  it("the notifier's alert body for an absurd capture time is built (capturedAt empty) instead of throwing", () => {
    const fields = {
      plate: 'AB123CD',
      watchPlate: 'AB123CD',
      camera: 'gate',
      ts: String(2 ** 53 - 1),
      frame: '1-0',
      entry: '7',
      label: 'x',
      fuzzy: '0',
      distance: '0',
      confidence: '0.9',
      webhook: '',
    };
    const body = alertBody('1-0', fields as never);
    expect(body.capturedAt).toBe('');
    expect(body.ts).toBe(2 ** 53 - 1);
  });
});
