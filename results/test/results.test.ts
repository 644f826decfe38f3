import { spawn } from 'node:child_process';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeResult, type ResultRecord } from '../../shared/codec/result-codec.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { BlockingReader } from '../../shared/redis/stream/index.ts';
import {
  PLATESTREAM_BIN,
  ROOT,
  runNode,
  type TestRedis,
  uniquePrefix,
  useRedis,
} from '../../test/harness/index.ts';
import { annotateImage } from '../annotate.ts';
import { compileFilter, parseFrom } from '../filters.ts';
import { queueSighting, readSightings } from '../../shared/redis/plate-index.ts';
import { readResults } from '../result-reader.ts';
import { waitFor } from '../../shared/util/wait.ts';

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
  }, 120_000);

  /** 20 results R0..R19; every 5th a watchlist hit with a seq. Returns their ids in order. */
  async function twentyResults(keys: StreamKeys): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const fields = encodeResult(result({ camera: 'gate', plate: `R${i}` }));
      if (i % 5 === 0) fields.push('seq', String(100 + i), 'watchlist', 'hit');
      ids.push((await t.client.xadd(keys.results, '*', ...fields))!);
    }
    return ids;
  }
  const tail = (prefix: string, args: string[]) =>
    runNode([PLATESTREAM_BIN, 'results', 'tail', ...args], {
      env: { REDIS_URL: t.url, LPR_PREFIX: prefix },
      timeoutMs: 20_000,
    });
  const jsonLines = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('results tail --limit N prints the newest N (oldest first); --json keeps seq and watchlist; --to ends the range', async () => {
    const prefix = uniquePrefix();
    const ids = await twentyResults(new StreamKeys(prefix));
    const newest = await tail(prefix, ['--from', '-10m', '--limit', '8', '--no-follow', '--json']);
    expect(newest.code, newest.stderr).toBe(0);
    const rows = jsonLines(newest.stdout);
    expect(rows.map((r) => r.plate)).toEqual(['R12', 'R13', 'R14', 'R15', 'R16', 'R17', 'R18', 'R19']);
    expect(rows.find((r) => r.plate === 'R15')).toMatchObject({ seq: 115, watchlist: 'hit' });
    expect(rows.find((r) => r.plate === 'R16')!.watchlist).toBeUndefined();

    // --to: inclusive end, no following (the command returns).
    const upTo = await tail(prefix, ['--from', ids[3]!, '--to', ids[9]!, '--json']);
    expect(upTo.code, upTo.stderr).toBe(0);
    expect(jsonLines(upTo.stdout).map((r) => r.plate)).toEqual(['R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R9']);
    const lastOfRange = await tail(prefix, ['--to', ids[9]!, '--limit', '2', '--json']);
    expect(jsonLines(lastOfRange.stdout).map((r) => r.plate)).toEqual(['R8', 'R9']);
    const reversed = await tail(prefix, ['--from', ids[9]!, '--to', ids[3]!]);
    expect(reversed.code).toBe(2);
    await t.cleanup(prefix);
  }, 120_000);

  it('results tail text mode prints a header and marks watchlist hits', async () => {
    const prefix = uniquePrefix();
    await twentyResults(new StreamKeys(prefix));
    const { code, stdout, stderr } = await tail(prefix, ['--from', '-10m', '--limit', '6', '--no-follow']);
    expect(code, stderr).toBe(0);
    const [header, ...lines] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/camera\s+plate\s+conf\s+watch\s+latency\s+result id/);
    expect(lines).toHaveLength(6);
    const watchCol = header!.indexOf('watch');
    for (const line of lines) {
      const hit = / R15 /.test(line);
      expect(line.slice(watchCol, watchCol + 5).trim(), line).toBe(hit ? 'HIT' : '');
    }
    await t.cleanup(prefix);
  }, 120_000);

  it('results tail --limit N then follows new results', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    await twentyResults(keys);
    const proc = spawn(process.execPath, [PLATESTREAM_BIN, 'results', 'tail', '--limit', '2', '--json'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: t.url, LPR_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    try {
      await waitFor(() => jsonLines(out).length === 2, { timeoutMs: 20_000, what: 'the newest 2' });
      await t.client.xadd(keys.results, '*', ...encodeResult(result({ plate: 'LIVE1' })));
      await waitFor(() => jsonLines(out).length === 3, { timeoutMs: 20_000, what: 'the new result' });
      expect(jsonLines(out).map((r) => r.plate)).toEqual(['R18', 'R19', 'LIVE1']);
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await new Promise((r) => proc.once('exit', r))).toBe(0);
    await t.cleanup(prefix);
  }, 120_000);

  it('results plate takes a pattern (prefix or ?), and refuses one that matches everything', async () => {
    const prefix = uniquePrefix();
    const keys = new StreamKeys(prefix);
    const tx = t.client.multi();
    const now = Date.now();
    ['CAP1', 'CAP22', 'XCAP1', 'CA1'].forEach((p, i) => {
      queueSighting(
        tx,
        keys,
        p,
        { resultId: `${i + 1}-0`, camera: 'gate', ts: now - i * 1000, confidence: 0.9 },
        { retentionMs: 60_000 },
      );
    });
    await tx.exec();
    const env = { REDIS_URL: t.url, LPR_PREFIX: prefix };
    const glob = await runNode([PLATESTREAM_BIN, 'results', 'plate', 'cap*', '--json'], {
      env,
      timeoutMs: 20_000,
    });
    expect(glob.code, glob.stderr).toBe(0);
    const found = JSON.parse(glob.stdout) as { sightings: { plate: string }[] };
    expect(found.sightings.map((s) => s.plate)).toEqual(['CAP1', 'CAP22']);
    const one = await runNode([PLATESTREAM_BIN, 'results', 'plate', 'CA?'], { env, timeoutMs: 20_000 });
    expect(one.stdout).toMatch(/ CA1 /);
    expect(one.stdout).not.toMatch(/CAP/);
    const all = await runNode([PLATESTREAM_BIN, 'results', 'plate', '*'], { env, timeoutMs: 20_000 });
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(/\[USAGE\].*matches every plate/);
    await t.cleanup(prefix);
  }, 120_000);
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

  it('draws the camera region of interest when given one (LPR_CAMERA_ROI)', async () => {
    const img = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    const r = { plate: '', confidence: 0, plates: [] };
    const roi = [
      [0, 180],
      [640, 180],
      [640, 360],
      [0, 360],
    ] as const;
    const blueAt = async (out: Buffer) => {
      // A strip across the ROI's top edge (y = 180) away from its label: blue dominates where it is drawn.
      const strip = await sharp(out).extract({ left: 300, top: 178, width: 200, height: 5 }).toBuffer();
      const { channels } = await sharp(strip).stats();
      return channels[2]!.mean - channels[0]!.mean;
    };
    expect(await blueAt(await annotateImage(img, r, { roi }))).toBeGreaterThan(25);
    expect(await blueAt(await annotateImage(img, r))).toBeLessThan(10);
  });
});
