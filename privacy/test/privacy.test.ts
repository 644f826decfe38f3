import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookQueue } from '../../alerts/index.ts';
import { run as eventsRun } from '../../events/cli.ts';
import { run as resultsRun } from '../../results/cli.ts';
import type { CliIO } from '../../shared/cli/index.ts';
import { encodeEvent } from '../../shared/codec/event-codec.ts';
import { encodeResult } from '../../shared/codec/result-codec.ts';
import { StreamKeys, setPlateKey } from '../../shared/redis/keys.ts';
import { queueSighting } from '../../shared/redis/plate-index.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  type TestPostgres,
  type TestRedis,
  uniquePrefix,
  usePostgres,
  useRedis,
} from '../../test/harness/index.ts';
import { run as watchlistRun } from '../../watchlist/cli.ts';
import { migrate } from '../../watchlist/index.ts';
import { frame, pushFrames, testWorker } from '../../worker/test/helpers.ts';
import { run as auditRun } from '../audit-cli.ts';
import { run as reportRun } from '../cli.ts';
import { withinOneEdit } from '../erase.ts';
import { run as eraseRun } from '../erase-cli.ts';

function io(env: Record<string, string>): CliIO & { out: () => string } {
  let out = '';
  return {
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
    out: () => out,
  };
}

/** Seeds one vehicle pass of `plate` on `camera`: frames, results, sightings, an event + index, an alert, caches. */
async function seedPlate(t: TestRedis, keys: StreamKeys, plate: string, camera: string, reads = 3) {
  const now = Date.now();
  const resultIds: string[] = [];
  const frameIds: string[] = [];
  const eventReads = [];
  for (let i = 0; i < reads; i++) {
    const ts = now - 1000 + i * 100;
    const frame = (await t.client.xadd(
      keys.frames,
      '*',
      'camera',
      camera,
      'ts',
      String(ts),
      'mime',
      'image/jpeg',
      'img',
      `jpeg-of-${plate}-${i}`,
    )) as string;
    const result = (await t.client.xadd(
      keys.results,
      '*',
      ...encodeResult({
        frame,
        camera,
        ts,
        plate,
        confidence: 0.9,
        plates: [],
        model: 'test',
        worker: 'w1',
        timings: { totalMs: 1 },
      }),
    )) as string;
    const tx = t.client.multi();
    queueSighting(
      tx,
      keys,
      plate,
      { resultId: result, camera, ts, confidence: 0.9 },
      { retentionMs: 3600_000 },
    );
    await tx.exec();
    frameIds.push(frame);
    resultIds.push(result);
    eventReads.push({ id: result, frame, ts, plate, confidence: 0.9 });
  }
  const eventId = (await t.client.xadd(
    keys.events,
    '*',
    ...encodeEvent({
      event: `${camera}:${now}:1`,
      camera,
      plate,
      confidence: 0.9,
      frames: reads,
      firstTs: now - 1000,
      lastTs: now,
      bestFrame: frameIds[0]!,
      alternatives: [],
      direction: '',
      watchlist: 'hit',
      results: eventReads,
    }),
  )) as string;
  const member = `${plate}:${String(now - 1000).padStart(13, '0')}:${eventId}`;
  await t.client.zadd(keys.eventsByPlate, 0, member);
  await t.client.zadd(keys.eventsByTime, now - 1000, member);
  const alertFields = {
    plate,
    watchPlate: plate,
    camera,
    ts: String(now),
    frame: frameIds[0]!,
    entry: '1',
    label: 'x',
    fuzzy: '0',
    distance: '0',
    confidence: '0.9',
    webhook: '',
    event: eventId,
  };
  const alertId = (await t.client.xadd(keys.alerts, '*', ...Object.entries(alertFields).flat())) as string;
  const connection = t.client.duplicate({ maxRetriesPerRequest: null });
  const queue = webhookQueue(connection, keys);
  await queue.add('alert', { id: alertId, alert: alertFields } as never, { jobId: alertId });
  await queue.close();
  connection.disconnect();
  await t.client.set(keys.watchlistCache(plate), '{"hit":true}', 'PX', 60_000);
  await t.client.set(keys.alertWindow(camera, plate), '1', 'PX', 60_000);
  return { resultIds, frameIds, eventId, alertId };
}

/** Every key name and every stream entry / set member / string value under the prefix that mentions `text` (the audit trail and the recent-erasures set aside). */
async function traces(t: TestRedis, keys: StreamKeys, text: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await t.client.scan(cursor, 'MATCH', keys.scanPattern, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      // The audit trail records the erasure; the erasures set keeps the plate for LPR_ERASE_WINDOW_MS.
      if (key === keys.auditLog || key === keys.erasures) continue;
      if (key.includes(text)) found.push(`key ${key}`);
      const type = await t.client.type(key);
      let content: string[] = [];
      if (type === 'stream')
        content = ((await t.client.xrange(key, '-', '+')) as [string, string[]][]).flatMap(([, f]) => f);
      else if (type === 'zset') content = await t.client.zrange(key, 0, -1);
      else if (type === 'hash') content = Object.values(await t.client.hgetall(key));
      else if (type === 'list') content = await t.client.lrange(key, 0, -1);
      else if (type === 'string') content = [(await t.client.get(key)) ?? ''];
      for (const c of content) if (c.includes(text)) found.push(`${type} ${key}: ${c.slice(0, 80)}`);
    }
  } while (cursor !== '0');
  return found;
}

describe('privacy on a real Redis', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it("erase removes exactly the plate's reads, frames, events, alerts, index and caches; twice is a no-op; --dry-run changes nothing", async () => {
    const prefix = uniquePrefix('privacy');
    const keys = new StreamKeys(prefix);
    const env = { REDIS_URL: t.url, LPR_PREFIX: prefix, LPR_AUDIT_ACTOR: 'dpo-test' };
    await seedPlate(t, keys, 'ERASE1', 'gate-1');
    const other = await seedPlate(t, keys, 'KEEP22', 'gate-1');
    const lengths = async () => ({
      results: await t.client.xlen(keys.results),
      frames: await t.client.xlen(keys.frames),
      events: await t.client.xlen(keys.events),
      alerts: await t.client.xlen(keys.alerts),
      index: await t.client.zcard(keys.eventsByPlate),
    });
    const before = await lengths();
    expect(before).toEqual({ results: 6, frames: 6, events: 2, alerts: 2, index: 2 });

    const dry = io(env);
    expect(await eraseRun(['erase1', '--dry-run', '--json'], dry)).toBe(0);
    const dryReport = JSON.parse(dry.out());
    expect(dryReport.removed).toEqual({
      results: 3,
      frames: 3,
      events: 1,
      'events-index': 1,
      alerts: 1,
      'webhook-jobs': 1,
      'plate-index': 3,
      'watchlist-cache': 1,
      'alert-windows': 1,
    });
    expect(await lengths()).toEqual(before);
    expect((await traces(t, keys, 'ERASE1')).length).toBeGreaterThan(0);

    const first = io(env);
    expect(await eraseRun(['ERASE1', '--json'], first)).toBe(0);
    expect(JSON.parse(first.out()).removed).toEqual(dryReport.removed);
    expect(await traces(t, keys, 'ERASE1')).toEqual([]);
    expect(await lengths()).toEqual({ results: 3, frames: 3, events: 1, alerts: 1, index: 1 });
    // the other plate is untouched
    for (const id of other.resultIds) expect(await t.client.xrange(keys.results, id, id)).toHaveLength(1);
    for (const id of other.frameIds) expect(await t.client.xrange(keys.frames, id, id)).toHaveLength(1);
    expect(await t.client.zcard(keys.plateIndex('KEEP22'))).toBe(3);
    expect(await t.client.exists(keys.watchlistCache('KEEP22'), keys.alertWindow('gate-1', 'KEEP22'))).toBe(
      2,
    );
    expect((await traces(t, keys, 'KEEP22')).length).toBeGreaterThan(5);

    const second = io(env);
    expect(await eraseRun(['ERASE1', '--json'], second)).toBe(0);
    expect(Object.values(JSON.parse(second.out()).removed).every((n) => n === 0)).toBe(true);

    const audit = io(env);
    expect(await auditRun(['list', '--actor', 'dpo-test', '--json'], audit)).toBe(0);
    const entries = audit
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.action, e.target, e.rows])).toEqual([
      ['erase', 'ERASE1', 15],
      ['erase', 'ERASE1', 0],
    ]);
  });

  it('--fuzzy also erases indexed plates one edit away', async () => {
    expect(withinOneEdit('AB123', 'AB123')).toBe(true);
    expect(withinOneEdit('AB123', 'AB128')).toBe(true);
    expect(withinOneEdit('AB123', 'AB1234')).toBe(true);
    expect(withinOneEdit('AB123', 'B123')).toBe(true);
    expect(withinOneEdit('AB123', 'BA123')).toBe(false);
    const prefix = uniquePrefix('privacy');
    const keys = new StreamKeys(prefix);
    await seedPlate(t, keys, 'FUZ123', 'cam', 1);
    await seedPlate(t, keys, 'FUZ128', 'cam', 1);
    await seedPlate(t, keys, 'FUZ999', 'cam', 1);
    const o = io({ REDIS_URL: t.url, LPR_PREFIX: prefix });
    expect(await eraseRun(['FUZ123', '--fuzzy', '--json'], o)).toBe(0);
    expect(JSON.parse(o.out()).plates).toEqual(['FUZ123', 'FUZ128']);
    expect(await t.client.xlen(keys.results)).toBe(1);
    expect(await t.client.exists(keys.plateIndex('FUZ999'))).toBe(1);
  });

  it('report lists every kind with its oldest item and fails --strict while a kind has no age limit', async () => {
    const prefix = uniquePrefix('privacy');
    const keys = new StreamKeys(prefix);
    await seedPlate(t, keys, 'REP1', 'cam');
    await t.client.xadd(keys.dlq, `${Date.now() - 3_600_000}-0`, 'camera', 'cam', 'error', 'x');
    await t.client.set(keys.staticReference('cam'), 'thumb'); // no TTL: unlimited
    const env = { REDIS_URL: t.url, LPR_PREFIX: prefix };
    const o = io(env);
    expect(await reportRun(['report', '--json', '--strict'], o)).toBe(1);
    const { kinds, unlimited } = JSON.parse(o.out());
    const byKind = Object.fromEntries(kinds.map((k: { kind: string }) => [k.kind, k]));
    expect(Object.keys(byKind)).toEqual([
      'frames',
      'results',
      'dlq',
      'alerts',
      'events',
      'events-by-plate',
      'events-state',
      'plate-index',
      'watchlist-cache',
      'alert-windows',
      'static-references',
      'webhook-jobs',
      'audit',
    ]);
    expect(byKind.dlq.oldestAgeMs).toBeGreaterThanOrEqual(3_600_000);
    expect(byKind.dlq.oldestAgeMs).toBeLessThan(3_700_000);
    expect(byKind.results.items).toBe(3);
    expect(byKind['plate-index'].items).toBe(1);
    expect(byKind['watchlist-cache'].maxTtlMs).toBeGreaterThan(50_000);
    expect(unlimited).toEqual(['results', 'dlq', 'alerts', 'events', 'events-by-plate', 'static-references']);

    // Age limits everywhere: strict passes once the unlimited key is gone.
    await t.client.pexpire(keys.staticReference('cam'), 60_000);
    const limited = io({
      ...env,
      RESULTS_RETENTION: 'minid',
      DLQ_RETENTION_MS: '604800000',
      ALERTS_RETENTION_MS: '2592000000',
      EVENTS_RETENTION_MS: '2592000000',
    });
    expect(await reportRun(['report', '--strict'], limited)).toBe(0);
    expect(limited.out()).toMatch(/every kind has an age limit/);
  });

  it('a plate search is recorded in the audit trail with its actor and row count', async () => {
    const prefix = uniquePrefix('privacy');
    const keys = new StreamKeys(prefix);
    await seedPlate(t, keys, 'SRCH1', 'cam', 2);
    const env = { REDIS_URL: t.url, LPR_PREFIX: prefix, LPR_AUDIT_ACTOR: 'analyst-1' };
    expect(await resultsRun(['plate', 'SRCH1', '--json'], io(env))).toBe(0);
    expect(await resultsRun(['plate', 'NOPE1', '--json'], io({ ...env, LPR_AUDIT_ACTOR: 'analyst-2' }))).toBe(
      0,
    );
    const o = io(env);
    expect(await auditRun(['list', '--since', '-1h', '--actor', 'analyst-1', '--json'], o)).toBe(0);
    const rows = o
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.actor, r.action, r.target, r.rows])).toEqual([
      ['analyst-1', 'search:results-plate', 'SRCH1', 2],
    ]);
    expect(rows[0].at).toBeGreaterThan(Date.now() - 60_000);

    // Time-range and plate filters of the tails are searches too, recorded with the rows printed.
    const tailEnv = { ...env, LPR_AUDIT_ACTOR: 'analyst-3' };
    expect(
      await resultsRun(['tail', '--plate', 'SRCH*', '--from', '-1h', '--no-follow', '--json'], io(tailEnv)),
    ).toBe(0);
    expect(await eventsRun(['tail', '--from', '-1h', '--no-follow', '--json'], io(tailEnv))).toBe(0);
    expect(await resultsRun(['tail', '--no-follow', '--json'], io(tailEnv))).toBe(0); // no filter: not a search
    const tails = io(env);
    expect(await auditRun(['list', '--actor', 'analyst-3', '--json'], tails)).toBe(0);
    expect(
      tails
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((r) => [r.action, r.target, r.rows]),
    ).toEqual([
      ['search:results-tail', 'plate=SRCH* from=-1h', 2],
      ['search:events-tail', 'from=-1h', 1],
    ]);
  });
});

describe('audit trail in PostgreSQL', () => {
  let t: TestRedis;
  let p: TestPostgres;
  beforeAll(async () => {
    [t, p] = await Promise.all([useRedis(), usePostgres()]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), p.close()]);
  });

  it('a watchlist change, a plate search and an erasure each leave a row with actor, action, target and rows', async () => {
    const url = await p.createDatabase('audit');
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migrate(pool);
      const prefix = uniquePrefix('privacy');
      const keys = new StreamKeys(prefix);
      await seedPlate(t, keys, 'AUD123', 'gate-2', 2);
      const env = { REDIS_URL: t.url, LPR_PREFIX: prefix, DATABASE_URL: url, LPR_AUDIT_ACTOR: 'admin-7' };
      expect(await watchlistRun(['add', 'AUD123', '--label', 'stolen'], io(env))).toBe(0);
      expect(await resultsRun(['plate', 'AUD123'], io(env))).toBe(0);
      const erased = io(env);
      expect(await eraseRun(['AUD123', '--json'], erased)).toBe(0);
      const total = Object.values(JSON.parse(erased.out()).removed as Record<string, number>).reduce(
        (a, b) => a + b,
      );
      expect(total).toBeGreaterThan(8);
      expect(await eraseRun(['AUD123', '--dry-run'], io(env))).toBe(0); // a dry run is not an erasure
      const { rows } = await pool.query(
        'SELECT actor, action, target, row_count, stream_id FROM audit_log ORDER BY id',
      );
      expect(rows.map((r) => [r.actor, r.action, r.target, r.row_count])).toEqual([
        ['admin-7', 'watchlist:add', 'AUD123', 1],
        ['admin-7', 'search:results-plate', 'AUD123', 2],
        ['admin-7', 'erase', 'AUD123', total],
      ]);
      const report = io(env);
      expect(await reportRun(['report', '--json'], report)).toBe(0);
      const table = JSON.parse(report.out()).kinds.find((k: { kind: string }) => k.kind === 'audit-table');
      expect(table).toMatchObject({ items: 3, maxAgeMs: 365 * 86_400_000 });
      expect(table.oldestAgeMs).toBeLessThan(120_000);
      // the same entries in the Redis stream, linked by stream id
      const stream = (await t.client.xrange(keys.auditLog, '-', '+')) as [string, string[]][];
      expect(rows.map((r) => r.stream_id)).toEqual(stream.map(([id]) => id));
    } finally {
      await pool.end();
    }
  });

  it('an unmigrated database fails the search instead of leaving it unrecorded', async () => {
    const url = await p.createDatabase('nomigrate');
    const prefix = uniquePrefix('privacy');
    const o = io({ REDIS_URL: t.url, LPR_PREFIX: prefix, DATABASE_URL: url });
    await expect(resultsRun(['plate', 'NOPE1'], o)).rejects.toThrow(/db migrate/);
  });
});

describe('erase after the real worker', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a plate read by a real worker and then erased leaves no trace in any key name, entry, member or value', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const worker = testWorker(config, {
      frameRetentionMs: 600_000,
      plateIndexRetentionMs: 3_600_000,
      housekeepingIntervalMs: 60_000, // housekeeping only when the test runs it
      lockTtlMs: 120_000,
    });
    await worker.start();
    try {
      await pushFrames(t.client, config.prefix, [
        ...Array.from({ length: 3 }, () => frame({ plate: 'GONE77' }, 'cam-1')),
        ...Array.from({ length: 3 }, () => frame({ plate: 'STAY77' }, 'cam-2')),
        frame({}, 'cam-1'),
      ]);
      await waitFor(async () => (await t.client.xlen(keys.results)) === 7, {
        timeoutMs: 60_000,
        what: '7 results',
      });
      // Sightings are indexed just after their results are written (worker.indexSighting): wait for them.
      await waitFor(
        async () =>
          (await t.client.zcard(keys.plateIndex('GONE77'))) === 3 &&
          (await t.client.zcard(keys.plateIndex('STAY77'))) === 3,
        { timeoutMs: 10_000, what: '6 sightings indexed' },
      );
      await worker.housekeepOnce(); // frames are kept (LPR_FRAME_RETENTION_MS), as annotate needs them
      expect((await traces(t, keys, 'GONE77')).length).toBeGreaterThanOrEqual(9); // 3 frames, 3 results, 3 sightings

      const o = io({ REDIS_URL: t.url, LPR_PREFIX: config.prefix });
      expect(await eraseRun(['GONE77', '--json'], o)).toBe(0);
      expect(JSON.parse(o.out()).removed).toMatchObject({ results: 3, frames: 3, 'plate-index': 3 });
      expect(await traces(t, keys, 'GONE77')).toEqual([]);
      expect(await t.client.xlen(keys.results)).toBe(4);
      expect(await t.client.xlen(keys.frames)).toBe(4);
      expect(await t.client.zcard(keys.plateIndex('STAY77'))).toBe(3);

      // A frame of the plate in flight during the erasure: its read lands afterwards and the next
      // housekeeping round (within LPR_ERASE_WINDOW_MS) erases it.
      await pushFrames(t.client, config.prefix, [frame({ plate: 'GONE77' }, 'cam-1')]);
      await waitFor(async () => (await t.client.xlen(keys.results)) === 5, {
        timeoutMs: 60_000,
        what: 'late read',
      });
      expect((await traces(t, keys, 'GONE77')).length).toBeGreaterThan(0);
      await worker.housekeepOnce();
      expect(await traces(t, keys, 'GONE77')).toEqual([]);
      expect(await t.client.xlen(keys.results)).toBe(4);
      // once the window has passed the erasure is forgotten
      const [member] = await t.client.zrange(keys.erasures, 0, -1);
      expect(member).toMatch(/^GONE77\|\d+$/);
      await t.client.zadd(keys.erasures, 1, 'GONE77|1');
      await t.client.zrem(keys.erasures, member!);
      await worker.housekeepOnce();
      expect(await t.client.exists(keys.erasures)).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('LPR_PLATE_KEY: key names carry keyed hashes, not plates; whole-plate lookup and erase still work', async () => {
    const config = t.config();
    const keys = new StreamKeys(config.prefix);
    const secret = 'a-long-deployment-secret-1234';
    setPlateKey(secret);
    const worker = testWorker(config, { housekeepingIntervalMs: 60_000, lockTtlMs: 120_000 });
    try {
      await worker.start();
      await pushFrames(t.client, config.prefix, [
        frame({ plate: 'PSEU01' }),
        frame({ plate: 'PSEU01' }),
        frame({ plate: 'OTHR02' }),
      ]);
      await waitFor(async () => (await t.client.xlen(keys.results)) === 3, {
        timeoutMs: 60_000,
        what: '3 results',
      });
      // The sighting is indexed just after its result is written (worker.indexSighting): wait for both.
      await waitFor(async () => (await t.client.zcard(keys.plateIndex('PSEU01'))) === 2, {
        timeoutMs: 10_000,
        what: 'both PSEU01 sightings indexed',
      });
      const names: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await t.client.scan(cursor, 'MATCH', keys.scanPattern, 'COUNT', 1000);
        cursor = next;
        names.push(...batch);
      } while (cursor !== '0');
      expect(names.filter((n) => n.includes('PSEU01') || n.includes('OTHR02'))).toEqual([]);
      expect(names).toContain(keys.plateIndex('PSEU01'));
      expect(keys.plateIndex('PSEU01')).toMatch(/:plate:h\.[0-9a-f]{32}$/);

      const env = { REDIS_URL: t.url, LPR_PREFIX: config.prefix, LPR_PLATE_KEY: secret };
      const found = io(env);
      expect(await resultsRun(['plate', 'PSEU01', '--json'], found)).toBe(0);
      expect(JSON.parse(found.out()).sightings).toHaveLength(2);
      await expect(resultsRun(['plate', 'PSEU*'], io(env))).rejects.toThrow(/LPR_PLATE_KEY/);
      const erased = io(env);
      expect(await eraseRun(['PSEU01', '--json'], erased)).toBe(0);
      expect(JSON.parse(erased.out()).removed).toMatchObject({ results: 2, 'plate-index': 2 });
      expect(await traces(t, keys, 'PSEU01')).toEqual([]);
      expect(await t.client.xlen(keys.results)).toBe(1);
    } finally {
      await worker.close();
      setPlateKey(undefined);
    }
  });
});
