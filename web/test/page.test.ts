import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertFieldList } from '../../alerts/index.ts';
import { demoImages } from '../../models/synthetic/index.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { createPool } from '../../watchlist/db.ts';
import { migrate } from '../../watchlist/index.ts';
import {
  type Child,
  freePort,
  killChildren,
  ROOT,
  spawnPlatestream,
  type TestPostgres,
  type TestRedis,
  usePostgres,
  useRedis,
} from '../../test/harness/index.ts';
import type { WebService } from '../service.ts';
import { CutProxy } from './cut-proxy.ts';
import { ADMIN, result, startTestWeb, testWebConfig, VIEWER } from './helpers.ts';

/** Debian's Chromium (installed by .ci/run); no browser is downloaded at install time. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
/**
 * Screenshots of every run go to .tmp/screenshots/ (ignored); UPDATE_SCREENSHOTS=1 writes them into
 * docs/screenshots/ (what the README shows) instead, so an ordinary `npm test` leaves no binary changes.
 */
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(ROOT, 'docs', 'screenshots')
    : join(ROOT, '.tmp', 'screenshots');
const CAMERA_TOKEN = 'camera-token-1234';

if (!HAVE_CHROMIUM) {
  console.warn(
    `web page tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

describe.skipIf(!HAVE_CHROMIUM)('the page in Chromium, over the real pipeline', { timeout: 120_000 }, () => {
  let t: TestRedis;
  let pgt: TestPostgres;
  let web: WebService;
  let proxy: CutProxy;
  let browser: Browser;
  let keys: StreamKeys;
  let ingestUrl: string;
  const children: Child[] = [];
  const images: { img: Buffer; mime: string }[] = [];
  let sent = 0;

  beforeAll(async () => {
    [t, pgt] = await Promise.all([useRedis(), usePostgres()]);
    const dbUrl = await pgt.createDatabase('page');
    const pool = createPool({ url: dbUrl, queryTimeoutMs: 10_000, connectTimeoutMs: 5000, max: 1 });
    await migrate(pool);
    await pool.end();
    const config = testWebConfig(t, { DATABASE_URL: dbUrl });
    keys = new StreamKeys(config.redis.prefix);
    const env = { REDIS_URL: t.url, LPR_PREFIX: keys.prefix, LOG_LEVEL: 'warn' };
    const ingestPort = await freePort();
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    children.push(
      spawnPlatestream(['ingest'], {
        env: {
          ...env,
          LOG_LEVEL: 'info',
          LPR_INGEST_HOST: '127.0.0.1',
          LPR_INGEST_PORT: String(ingestPort),
          LPR_CAMERA_TOKENS: `${CAMERA_TOKEN}=*`,
        },
      }),
      spawnPlatestream(['worker'], {
        env: {
          ...env,
          LOG_LEVEL: 'info',
          WORKER_HTTP_PORT: '0',
          DATABASE_URL: dbUrl,
          LPR_FRAME_RETENTION_MS: '600000',
        },
      }),
    );
    for await (const d of demoImages({ count: 12 })) images.push({ img: d.img, mime: d.mime });
    web = await startTestWeb(config);
    proxy = await CutProxy.start(web.port);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    await Promise.all(children.map((c) => c.logged('"msg":"')));
    await waitFor(() => children[0]!.output().includes('ingest listening'), {
      what: 'ingest',
      timeoutMs: 30_000,
    });
    await waitFor(() => children[1]!.output().includes('worker started'), {
      what: 'worker',
      timeoutMs: 60_000,
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await web?.close();
    await killChildren(children);
    await t?.cleanup(keys.prefix);
    await Promise.all([t?.close(), pgt?.close()]);
  });

  /** Posts one synthetic plate frame to ingest (the real pipeline: ingest → frames → worker → results). */
  async function sendFrame(camera = 'gate-1'): Promise<void> {
    const { img, mime } = images[sent++ % images.length]!;
    const r = await fetch(`${ingestUrl}/v1/cameras/${camera}/frames?ts=${Date.now()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CAMERA_TOKEN}`, 'content-type': mime },
      body: new Uint8Array(img),
    });
    expect(r.status).toBe(202);
  }

  /** Result ids with a plate, oldest first. */
  async function platedResults(): Promise<{ id: string; plate: string }[]> {
    const rows = (await t.client.xrange(keys.results, '-', '+')) as [string, string[]][];
    return rows
      .map(([id, f]) => ({ id, plate: f[f.indexOf('plate') + 1] ?? '' }))
      .filter((r) => r.plate !== '');
  }

  async function open(token: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#conn.on', { timeout: 20_000 });
    return page;
  }

  /** Every plate crop in the feed has loaded (screenshots show them). */
  const imagesLoaded = (page: Page) =>
    page.waitForFunction(() =>
      [...document.querySelectorAll('#live-list img')].every(
        (i) => (i as HTMLImageElement).naturalWidth > 0 || (i as HTMLImageElement).alt === 'frame trimmed',
      ),
    );

  const feedIds = (page: Page) =>
    page.$$eval('#live-list li[data-kind=results]', (lis) =>
      lis.map((li) => li.getAttribute('data-id') ?? ''),
    );

  it('shows a pass sent through the pipeline in the live feed', async () => {
    const page = await open(VIEWER);
    const before = (await platedResults()).length;
    await sendFrame();
    const results = await waitFor(
      async () => {
        const r = await platedResults();
        return r.length > before ? r : undefined;
      },
      { what: 'a result with a plate', timeoutMs: 60_000 },
    );
    const newest = results.at(-1)!;
    const row = page.locator(`#live-list li[data-id="${newest.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('.plate-text').textContent()).toBe(newest.plate);
    await imagesLoaded(page);
    // The health panel refreshes after new entries: wait for it to show the worker.
    await page.waitForFunction(() => document.querySelector('#health')?.textContent?.includes('1 of 1'));
    await page.screenshot({ path: join(SHOTS, 'live.png') });
    await page.close();
  });

  it('shows every pass missed while disconnected exactly once after the connection returns', async () => {
    const page = await open(VIEWER);
    const known = new Set((await platedResults()).map((r) => r.id));
    proxy.cutAll();
    await page.waitForSelector('#conn.off', { timeout: 20_000 });
    for (let i = 0; i < 5; i++) await sendFrame(i % 2 ? 'gate-2' : 'gate-1');
    const missed = await waitFor(
      async () => {
        const fresh = (await platedResults()).filter((r) => !known.has(r.id));
        return fresh.length >= 5 ? fresh : undefined;
      },
      { what: '5 new results', timeoutMs: 60_000 },
    );
    await page.screenshot({ path: join(SHOTS, 'disconnected.png') });
    // Nothing arrived while cut.
    expect((await feedIds(page)).filter((id) => missed.some((m) => m.id === id))).toEqual([]);
    proxy.restore();
    await page.waitForSelector('#conn.on', { timeout: 20_000 });
    await waitFor(
      async () => {
        const ids = await feedIds(page);
        return missed.every((m) => ids.includes(m.id));
      },
      { what: 'the missed passes on the page', timeoutMs: 20_000 },
    );
    const ids = await feedIds(page);
    for (const m of missed)
      expect(
        ids.filter((id) => id === m.id),
        m.id,
      ).toHaveLength(1);
    expect(new Set(ids).size).toBe(ids.length);
    // Newest first: the missed ones are in reverse order of their ids.
    const order = ids.filter((id) => missed.some((m) => m.id === id));
    expect(order).toEqual(missed.map((m) => m.id).reverse());
    await page.close();
  });

  it('searches with filters and exports CSV', async () => {
    const page = await open(VIEWER);
    const gate2 = (await t.client.xrange(keys.results, '-', '+')).filter(
      ([, f]) => f[f.indexOf('camera') + 1] === 'gate-2' && f[f.indexOf('plate') + 1] !== '',
    );
    await page.fill('#search-form input[name=camera]', 'gate-2');
    await page.click('#search-form button[type=submit]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#search-table tbody tr').length === n,
      gate2.length,
    );
    const rowIds = await page.$$eval('#search-table tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-id')),
    );
    expect(rowIds).toEqual(gate2.map(([id]) => id).reverse());
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('id,frame,camera,time,plate,confidence,watchlist,model,worker');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(rowIds);
    await page.screenshot({ path: join(SHOTS, 'search.png') });
    await page.close();
  });

  it('lets an admin edit the watchlist and keeps a viewer from changing it', async () => {
    const admin = await open(ADMIN);
    await admin.fill('#wl-form input[name=plate]', 'WATCH1');
    await admin.fill('#wl-form input[name=label]', 'stolen van');
    await admin.click('#wl-form button[type=submit]');
    await admin.locator('#wl-table tr[data-plate=WATCH1]').waitFor();
    await admin.screenshot({ path: join(SHOTS, 'watchlist-admin.png') });
    await admin.close();

    const viewer = await open(VIEWER);
    await viewer.locator('#wl-table tr[data-plate=WATCH1]').waitFor();
    expect(await viewer.isVisible('#wl-form')).toBe(false);
    expect(await viewer.isVisible('#wl-readonly')).toBe(true);
    expect(await viewer.locator('#wl-table button').count()).toBe(0);
    // Even when the page is bypassed, the API refuses the viewer's token.
    const status = await viewer.evaluate(async (token) => {
      const r = await fetch('/v1/watchlist/WATCH1', {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      return r.status;
    }, VIEWER);
    expect(status).toBe(403);
    await viewer.close();
    const still = await web.app.inject({
      method: 'GET',
      url: '/v1/watchlist',
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(still.json().entries.map((e: { plate: string }) => e.plate)).toEqual(['WATCH1']);
  });

  it('is usable at phone width', async () => {
    const page = await open(VIEWER, { width: 390, height: 844 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await page.locator('#live-list li').first().waitFor();
    await imagesLoaded(page);
    await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: false });
    await page.close();
  });

  it('shows a banner for a watchlist alert', async () => {
    const page = await open(VIEWER);
    await t.client.xadd(
      keys.alerts,
      '*',
      ...alertFieldList({
        plate: 'CAP246',
        watchPlate: 'CAP246',
        camera: 'gate-1',
        ts: String(Date.now()),
        frame: '1-0',
        entry: '1',
        label: 'stolen van',
        fuzzy: '0',
        distance: '0',
        confidence: '0.99',
        webhook: '',
      }),
    );
    await page.waitForSelector('#banner:not([hidden])', { timeout: 10_000 });
    expect(await page.textContent('#banner')).toMatch(/Watchlist hit: CAP246 \(stolen van\) at gate-1/);
    await page.screenshot({ path: join(SHOTS, 'alert.png') });
    await page.close();
  });

  it('shows an entry written to Redis within a bounded time (p95 printed)', async () => {
    const page = await open(VIEWER);
    // Record when each feed row appears, on the page's own clock (the same machine clock as Date.now here).
    await page.evaluate(() => {
      const seen: Record<string, number> = {};
      (window as unknown as { seenAt: Record<string, number> }).seenAt = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of r.addedNodes) {
            const id = (n as Element).getAttribute?.('data-id');
            if (id) seen[id] ??= Date.now();
          }
        }
      }).observe(document.querySelector('#live-list')!, { childList: true });
    });
    const writtenAt = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const at = Date.now();
      const id = (await t.client.xadd(keys.results, '*', ...result({ plate: `LAT${i}`, frame: `${i}-0` })))!;
      writtenAt.set(id, at);
      await page.waitForFunction(
        (x) => (window as unknown as { seenAt: Record<string, number> }).seenAt[x],
        id,
      );
    }
    const seenAt = await page.evaluate(
      () => (window as unknown as { seenAt: Record<string, number> }).seenAt,
    );
    const latencies = [...writtenAt].map(([id, at]) => seenAt[id]! - at).sort((a, b) => a - b);
    const p95 = latencies[Math.ceil(latencies.length * 0.95) - 1]!;
    console.log(`web page: XADD → row on the page, 20 entries: p50 ${latencies[9]} ms, p95 ${p95} ms`);
    // The target is 500 ms on a quiet machine; the bound here is generous for a loaded CI machine.
    expect(p95).toBeLessThan(3000);
    await page.close();
  });
});
