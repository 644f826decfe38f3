import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent, type EventRecord } from '../../shared/codec/event-codec.ts';
import { encodeFrame } from '../../shared/codec/frame-codec.ts';
import { queueSighting } from '../../shared/redis/plate-index.ts';
import type { PlatestreamError } from '../../shared/errors.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { parseWebTokens, WebAuth } from '../auth.ts';
import { compileSearch, csvField, timeBound } from '../search.ts';
import type { WebService } from '../service.ts';
import { ADMIN, auth, result, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

describe('web auth', () => {
  it('parses role tokens and refuses bad entries', () => {
    expect([...parseWebTokens('tok-aaaa-1=viewer;tok-bbbb-2=admin')]).toEqual([
      ['tok-aaaa-1', 'viewer'],
      ['tok-bbbb-2', 'admin'],
    ]);
    expect([...parseWebTokens('tok-aaaa-1=viewer,tok-bbbb-2=admin')].length).toBe(2);
    expect(() => parseWebTokens('tok-aaaa-1=root')).toThrow(/token=viewer or token=admin/);
    expect(() => parseWebTokens('short=admin')).toThrow(/shorter than 8/);
  });
  it('checks roles', () => {
    const a = WebAuth.fromText('tok-aaaa-1=viewer;tok-bbbb-2=admin');
    expect(a.check('Bearer tok-aaaa-1', 'viewer')).toBe('viewer');
    expect(a.check('Bearer tok-bbbb-2', 'admin')).toBe('admin');
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as PlatestreamError).code;
      }
      return 'none';
    };
    expect(codeOf(() => a.check('Bearer tok-aaaa-1', 'admin'))).toBe('FORBIDDEN');
    expect(codeOf(() => a.check('Bearer nope-nope-1', 'viewer'))).toBe('UNAUTHORIZED');
    expect(codeOf(() => a.check(undefined, 'viewer'))).toBe('UNAUTHORIZED');
  });
});

describe('search filters', () => {
  const row = (over: Partial<{ camera: string; plate: string; confidence: number; watchlist: string }>) => ({
    camera: 'gate-1',
    plate: 'AB123CD',
    confidence: 0.9,
    watchlist: '',
    ...over,
  });
  it('matches plates exactly, by prefix and by glob', () => {
    expect(compileSearch({ plate: 'ab-123 cd' }, { allowEmpty: false }).keep(row({}))).toBe(true);
    expect(compileSearch({ plate: 'AB123' }, { allowEmpty: false }).keep(row({}))).toBe(false);
    expect(compileSearch({ plate: 'AB1', match: 'prefix' }, { allowEmpty: false }).keep(row({}))).toBe(true);
    expect(compileSearch({ plate: 'B1', match: 'prefix' }, { allowEmpty: false }).keep(row({}))).toBe(false);
    expect(compileSearch({ plate: '*23?D' }, { allowEmpty: false }).keep(row({}))).toBe(true);
    expect(compileSearch({ plate: '*24?D' }, { allowEmpty: false }).keep(row({}))).toBe(false);
  });
  it('filters by camera list, confidence, watchlist hits and empty reads', () => {
    const s = compileSearch(
      { camera: 'gate-2, gate-1', minConfidence: 0.5, watchlist: true },
      { allowEmpty: false },
    );
    expect(s.keep(row({ watchlist: 'hit' }))).toBe(true);
    expect(s.keep(row({ watchlist: 'hit-fuzzy' }))).toBe(true);
    expect(s.keep(row({ watchlist: 'miss' }))).toBe(false);
    expect(s.keep(row({ watchlist: 'hit', camera: 'gate-3' }))).toBe(false);
    expect(s.keep(row({ watchlist: 'hit', confidence: 0.4 }))).toBe(false);
    expect(compileSearch({}, { allowEmpty: true }).keep(row({ plate: '' }))).toBe(false);
    expect(compileSearch({ withEmpty: true }, { allowEmpty: true }).keep(row({ plate: '' }))).toBe(true);
  });
  it('turns times into id bounds', () => {
    expect(timeBound('from', '1700000000000', 'start')).toBe('1700000000000-0');
    expect(timeBound('to', '1700000000000', 'end')).toBe('1700000000000');
    expect(timeBound('to', '5-3', 'end')).toBe('5-3');
    expect(timeBound('from', '-1m', 'start', 120_000)).toBe('60000-0');
    expect(timeBound('from', '2026-01-01T00:00:00Z', 'start')).toBe(
      `${Date.parse('2026-01-01T00:00:00Z')}-0`,
    );
    expect(() => timeBound('from', 'yesterday', 'start')).toThrow(/not a time/);
  });
  it('quotes CSV fields and neutralises formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(0.5)).toBe('0.5');
  });
});

describe('web API on a real Redis', () => {
  let t: TestRedis;
  let web: WebService;
  let keys: StreamKeys;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await useRedis();
    const config = testWebConfig(t);
    keys = new StreamKeys(config.redis.prefix);
    // 30 results, oldest first: cameras alternate, every fifth a watchlist hit, plates P00..P29.
    for (let i = 0; i < 30; i++) {
      const id = await t.client.xadd(
        keys.results,
        '*',
        ...result({
          camera: i % 2 === 0 ? 'gate-1' : 'gate-2',
          plate: i === 7 ? '' : `P${String(i).padStart(2, '0')}X`,
          confidence: i / 30,
          frame: `${1000 + i}-0`,
          watchlist: i % 5 === 0 ? 'hit' : 'miss',
        }),
      );
      ids.push(id!);
    }
    web = await startTestWeb(config);
  });
  afterAll(async () => {
    await web?.close();
    await t?.cleanup(keys.prefix);
    await t?.close();
  });

  const get = (url: string, token = VIEWER) => web.app.inject({ method: 'GET', url, headers: auth(token) });

  it('needs a known bearer token and answers with the error shape', async () => {
    const none = await web.app.inject({ method: 'GET', url: '/v1/results' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('UNAUTHORIZED');
    expect(none.json().error.message).toMatch(/Authorization: Bearer/);
    expect((await get('/v1/results', 'unknown-token-99')).statusCode).toBe(401);
    const missing = await get('/v1/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('lists results newest first and pages with the cursor until the end', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(`/v1/results?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      const body = r.json();
      seen.push(...body.items.map((i: { id: string }) => i.id));
      cursor = body.next;
      pages++;
    } while (cursor && pages < 20);
    // Frame 7 has no plate and is left out by default.
    expect(seen).toEqual(ids.filter((_, i) => i !== 7).reverse());
  });

  it('filters by camera, plate, confidence, watchlist hits and time', async () => {
    const body = (await get('/v1/results?camera=gate-1&minConfidence=0.5&watchlist=true')).json();
    // gate-1 = even i; confidence >= 0.5 → i >= 15; hit → i % 5 === 0: i = 20.
    expect(body.items.map((r: { plate: string }) => r.plate)).toEqual(['P20X']);
    expect(body.items[0].watchlist).toBe('hit');
    const prefix = (await get('/v1/results?plate=P1&match=prefix&limit=100')).json();
    expect(prefix.items.map((r: { plate: string }) => r.plate).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `P1${i}X`),
    );
    const glob = (await get('/v1/results?plate=P2?X')).json();
    expect(glob.items).toHaveLength(10);
    const exact = (await get('/v1/results?plate=p03x')).json();
    expect(exact.items.map((r: { frame: string }) => r.frame)).toEqual(['1003-0']);
    const window = (await get(`/v1/results?from=${ids[10]}&to=${ids[12]}&withEmpty=true`)).json();
    expect(window.items.map((r: { id: string }) => r.id)).toEqual([ids[12], ids[11], ids[10]]);
    const bad = await get('/v1/results?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/"from"/);
  });

  it('bounds the work of one page and says where to go on', async () => {
    const s = await startTestWeb({ ...web.ctx.config, port: 0, maxScan: 100 } as typeof web.ctx.config);
    try {
      // No result matches: each page scans at most 100 entries (here all 30) and ends.
      const none = (
        await s.app.inject({ method: 'GET', url: '/v1/results?plate=NOPE', headers: auth(VIEWER) })
      ).json();
      expect(none).toMatchObject({ items: [], next: null, scanned: 30 });
    } finally {
      await s.close();
    }
  });

  it('streams CSV exports of every match', async () => {
    const r = await get('/v1/results.csv?camera=gate-2');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    expect(r.headers['content-disposition']).toMatch(/attachment; filename="results-/);
    const lines = r.body.trim().split('\r\n');
    expect(lines[0]).toBe('id,frame,camera,time,plate,confidence,watchlist,model,worker');
    // gate-2 has the 15 odd results; 7 has no plate.
    expect(lines).toHaveLength(15);
    expect(lines[1]!.startsWith(`${ids[29]},1029-0,gate-2,`)).toBe(true);
  });

  it('serves the OpenAPI description, health and metrics without a token', async () => {
    const doc = (await web.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const p of [
      '/v1/results',
      '/v1/results.csv',
      '/v1/events',
      '/v1/live',
      '/v1/plates/{plate}',
      '/v1/watchlist',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect((await web.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await web.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready' });
    const metrics = await web.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/platestream_web_request_duration_seconds/);
  });

  it('keeps admin routes from viewers', async () => {
    const r = await web.app.inject({ method: 'POST', url: '/v1/dlq/1-0/requeue', headers: auth(VIEWER) });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('FORBIDDEN');
    const dlq = await get('/v1/dlq', ADMIN);
    expect(dlq.json()).toEqual({ entries: [] });
    const stats = (await get('/v1/stats')).json();
    expect(stats.results.length).toBe(30);
  });

  it('serves frames, plate crops and annotated frames; a trimmed frame is a clear 404', async () => {
    const img = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#336' } })
      .jpeg()
      .toBuffer();
    const frame = (await t.client.xadd(
      keys.frames,
      '*',
      ...encodeFrame({ camera: 'gate-1', ts: Date.now(), mime: 'image/jpeg', img }),
    ))!;
    const box = { x: 40, y: 50, w: 60, h: 20 };
    await t.client.xadd(
      keys.results,
      '*',
      ...result({ frame, plate: 'FR4ME', box, plates: [{ text: 'FR4ME', confidence: 0.9, box }] }),
    );
    const raw = await get(`/v1/frames/${frame}/image`);
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toBe('image/jpeg');
    expect(raw.rawPayload.equals(img)).toBe(true);
    const crop = await get(`/v1/frames/${frame}/image?crop=40,50,60,20`);
    expect(await sharp(crop.rawPayload).metadata()).toMatchObject({ width: 60, height: 20 });
    const annotated = await get(`/v1/frames/${frame}/annotated`);
    expect(annotated.statusCode).toBe(200);
    expect(await sharp(annotated.rawPayload).metadata()).toMatchObject({
      width: 160,
      height: 120,
      format: 'jpeg',
    });
    expect(annotated.rawPayload.equals(raw.rawPayload)).toBe(false);
    await t.client.xdel(keys.frames, frame);
    const gone = await get(`/v1/frames/${frame}/image`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.message).toMatch(/no longer in .*trimmed/);
    expect((await get('/v1/frames/not-an-id/image')).statusCode).toBe(400);
  });

  it("shows a plate's sightings newest first", async () => {
    const tx = t.client.multi();
    queueSighting(
      tx,
      keys,
      'HIST1',
      { resultId: '10-0', camera: 'gate-1', ts: Date.now() - 1000, confidence: 0.8 },
      { retentionMs: 3_600_000 },
    );
    queueSighting(
      tx,
      keys,
      'HIST1',
      { resultId: '11-0', camera: 'gate-2', ts: Date.now(), confidence: 0.9 },
      { retentionMs: 3_600_000 },
    );
    await tx.exec();
    const body = (await get('/v1/plates/hist-1')).json();
    expect(body.plate).toBe('HIST1');
    expect(body.sightings.map((s: { camera: string }) => s.camera)).toEqual(['gate-2', 'gate-1']);
    expect(body.events).toEqual([]);
  });

  it('searches events and shows them in the plate history through the per-plate index', async () => {
    const event = (over: Partial<EventRecord>): EventRecord => ({
      event: 'gate-1:1:0',
      camera: 'gate-1',
      plate: 'EV100',
      confidence: 0.8,
      frames: 4,
      firstTs: Date.now() - 2000,
      lastTs: Date.now() - 1000,
      bestFrame: '1-0',
      alternatives: [],
      direction: 'approaching',
      watchlist: 'miss',
      results: [],
      ...over,
    });
    const a = (await t.client.xadd(keys.events, '*', ...encodeEvent(event({}))))!;
    const b = (await t.client.xadd(
      keys.events,
      '*',
      ...encodeEvent(event({ plate: 'EV200', camera: 'gate-2', watchlist: 'hit' })),
    ))!;
    const c = (await t.client.xadd(
      keys.events,
      '*',
      ...encodeEvent(event({ plate: 'EV100', confidence: 0.95, firstTs: Date.now() })),
    ))!;
    // The index as the events stage writes it (emitEvents-8.lua): "<plate>:<first ms, 13 digits>:<event id>".
    const first = (ms: number) => String(ms).padStart(13, '0');
    await t.client.zadd(
      keys.eventsByPlate,
      0,
      `EV100:${first(1)}:${a}`,
      0,
      `EV100:${first(2)}:${c}`,
      0,
      `EV200:${first(1)}:${b}`,
    );
    expect((await get('/v1/events')).json().items.map((e: { id: string }) => e.id)).toEqual([c, b, a]);
    expect(
      (await get('/v1/events?watchlist=true')).json().items.map((e: { plate: string }) => e.plate),
    ).toEqual(['EV200']);
    expect(
      (await get('/v1/events?plate=EV1*&minConfidence=0.9')).json().items.map((e: { id: string }) => e.id),
    ).toEqual([c]);
    const csv = (await get('/v1/events.csv?camera=gate-1')).body.trim().split('\r\n');
    expect(csv[0]).toBe('id,event,camera,first,last,plate,confidence,frames,direction,watchlist,best_frame');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual([c, a]);
    const history = (await get('/v1/plates/EV100')).json();
    expect(history.events.map((e: { id: string }) => e.id)).toEqual([c, a]);
  });
});
