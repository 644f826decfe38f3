import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeResult, type ResultRecord } from '../../shared/codec/result-codec.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { BlockingReader } from '../../shared/redis/stream/index.ts';
import {
  PLATESTREAM_BIN,
  runNode,
  type TestRedis,
  uniquePrefix,
  useRedis,
} from '../../test/harness/index.ts';
import { annotateImage } from '../annotate.ts';
import { compileFilter, parseFrom } from '../filters.ts';
import { queueSighting, readSightings } from '../../shared/redis/plate-index.ts';
import { readResults } from '../result-reader.ts';

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

describe('result filters', () => {
  it('filters by camera, plate pattern and confidence', () => {
    const keep = compileFilter({ cameras: ['a'], plate: 'AB*', minConfidence: 0.5, includeEmpty: false });
    expect(keep(result({ camera: 'a', plate: 'AB1' }))).toBe(true);
    expect(keep(result({ camera: 'b', plate: 'AB1' }))).toBe(false);
    expect(keep(result({ camera: 'a', plate: 'XAB1' }))).toBe(false);
    expect(keep(result({ camera: 'a', plate: 'AB1', confidence: 0.4 }))).toBe(false);
    expect(keep(result({ camera: 'a', plate: '' }))).toBe(false);
    const all = compileFilter({ cameras: [], minConfidence: 0, includeEmpty: true });
    expect(all(result({ plate: '' }))).toBe(true);
  });
  it('parses start positions', () => {
    expect(parseFrom('5-1')).toBe('5-1');
    expect(parseFrom('-10m', 1_000_000)).toBe('400000-0');
    expect(parseFrom('2026-01-01T00:00:00Z')).toBe(`${Date.parse('2026-01-01T00:00:00Z')}-0`);
    expect(() => parseFrom('yesterday')).toThrow(/--from/);
  });
});

describe('results on a real Redis', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads existing results, then follows new ones', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ plate: 'OLD1' })));
    const reader = new BlockingReader(t.config(prefix), { name: 'test-tail', blockMs: 200, marginMs: 2000 });
    const stop = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const r of readResults(reader, {
        stream: keys.results,
        after: '0-0',
        follow: true,
        signal: stop.signal,
      })) {
        seen.push(r.plate);
        if (seen.length === 2) stop.abort();
      }
    })();
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ plate: 'NEW2' })));
    await done;
    expect(seen).toEqual(['OLD1', 'NEW2']);
    await reader.close();
    await t.cleanup(prefix);
  });

  it('keeps a per-plate index with retention', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    const now = Date.now();
    const tx = t.client.multi();
    queueSighting(
      tx,
      keys,
      'AB123CD',
      { resultId: '1-0', camera: 'a', ts: now - 10_000, confidence: 0.8 },
      { retentionMs: 5000 },
    );
    queueSighting(
      tx,
      keys,
      'AB123CD',
      { resultId: '2-0', camera: 'b', ts: now, confidence: 0.95 },
      { retentionMs: 5000 },
    );
    await tx.exec();
    const s = await readSightings(t.client, keys, 'AB123CD');
    expect(s).toEqual([{ resultId: '2-0', camera: 'b', ts: now, confidence: 0.95 }]);
    expect(await t.client.pttl(keys.plateIndex('AB123CD'))).toBeGreaterThan(0);
    await t.cleanup(prefix);
  });

  it('results tail --json prints one JSON object per matching result', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ camera: 'a', plate: 'KEEP1' })));
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ camera: 'b', plate: 'SKIP1' })));
    await t.client.xadd(keys.results, '*', ...encodeResult(result({ camera: 'a', plate: '' })));
    const { code, stdout, stderr } = await runNode(
      [PLATESTREAM_BIN, 'results', 'tail', '--no-follow', '--json', '--camera', 'a', '--from', '-10m'],
      { env: { REDIS_URL: t.url, LPR_PREFIX: prefix }, timeoutMs: 20_000 },
    );
    expect(code, stderr).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ camera: 'a', plate: 'KEEP1', confidence: 0.9, model: 'test' });
    expect(typeof lines[0].latencyMs).toBe('number');
    await t.cleanup(prefix);
  });
});

describe('annotate', () => {
  it('draws on a frame and keeps its size', async () => {
    const img = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    const out = await annotateImage(img, {
      plate: 'AB123CD',
      confidence: 0.9,
      plates: [{ text: 'AB123CD', confidence: 0.9, box: { x: 100, y: 200, w: 120, h: 30 } }],
    });
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 360 });
    const edge = await sharp(out).extract({ left: 99, top: 205, width: 2, height: 20 }).toBuffer();
    const stats = await sharp(edge).stats();
    // The box edge is drawn in green: the green channel dominates there.
    expect(stats.channels[1]!.mean).toBeGreaterThan(stats.channels[0]!.mean + 40);
  });
});
