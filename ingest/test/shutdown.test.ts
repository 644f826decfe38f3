import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis, waitReady } from '../../shared/redis/connection.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  type Child,
  killChildren,
  silentLogger,
  spawnPlatestream,
  type TestRedis,
  uniquePrefix,
  useRedis,
} from '../../test/harness/index.ts';
import { buildIngestApp } from '../app.ts';
import { makeImage, TOKEN_A, TOKENS, testIngestConfig } from './helpers.ts';

/** Starts a POST, sends the headers and the first half of the body, returns a function that sends the rest. */
function startSlowPost(port: number, body: Buffer, seq: number) {
  const half = Math.floor(body.length / 2);
  let resolveRes!: (v: { status: number; body: string }) => void;
  let rejectRes!: (e: unknown) => void;
  const done = new Promise<{ status: number; body: string }>((res, rej) => {
    resolveRes = res;
    rejectRes = rej;
  });
  const req = request(
    {
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/v1/cameras/cam-a/frames?seq=${seq}`,
      headers: {
        'content-type': 'image/jpeg',
        'content-length': body.length,
        authorization: `Bearer ${TOKEN_A}`,
      },
    },
    (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolveRes({ status: res.statusCode ?? 0, body: text }));
    },
  );
  req.on('error', rejectRes);
  req.write(body.subarray(0, half));
  return { done, finish: () => req.end(body.subarray(half)) };
}

describe('graceful shutdown of the ingest process', () => {
  let t: TestRedis;
  let child: Child | undefined;

  /** Starts `platestream ingest` on a free port; its stderr (pino lines) accumulates in `log.text`. */
  function spawnIngest(prefix: string, env: Record<string, string> = {}) {
    const c = spawnPlatestream(['ingest', '--port', '0', '--host', '127.0.0.1'], {
      env: { REDIS_URL: t.url, LPR_PREFIX: prefix, LPR_CAMERA_TOKENS: TOKENS, LOG_LEVEL: 'info', ...env },
    });
    child = c;
    const log = {
      get text() {
        return c.output();
      },
    };
    return { proc: c.proc, log, exited: c.exited.then((e) => e.code) };
  }

  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    if (child) await killChildren([child]);
    await t.close();
  });

  it('on SIGTERM stops accepting, finishes in-flight requests, and exits 0', async () => {
    const prefix = uniquePrefix('shut');
    const keys = new StreamKeys(prefix);
    const { proc, log, exited } = spawnIngest(prefix);
    const port = await waitFor(
      () => Number(/"port":(\d+).*ingest listening/.exec(log.text)?.[1]) || undefined,
      {
        timeoutMs: 20_000,
        what: 'the ingest process to listen',
      },
    );

    const img = await makeImage('jpeg', { seed: 3 });
    const inflight = [0, 1, 2].map((seq) => startSlowPost(port, img, seq));
    await waitFor(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return Number(/platestream_ingest_requests_in_flight (\d+)/.exec(text)?.[1]) >= 3;
      },
      { what: 'three frame requests in flight' },
    );

    proc.kill('SIGTERM');
    await waitFor(() => log.text.includes('shutting down'), { what: 'the shutdown to begin' });
    // New connections are refused once the listener is closed.
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          () => false,
          () => true,
        ),
      { what: 'new connections to be refused' },
    );

    for (const r of inflight) r.finish();
    const results = await Promise.all(inflight.map((r) => r.done));
    for (const r of results) {
      expect(r.status).toBe(202);
      expect(JSON.parse(r.body).id).toMatch(/^\d+-\d+$/);
    }
    expect(await exited).toBe(0);
    expect(log.text).toContain('ingest stopped');
    expect(await t.client.xlen(keys.frames)).toBe(3);
    await t.cleanup(prefix);
  });

  it('answers 503 SHUTTING_DOWN with Retry-After and Connection: close to requests that arrive while draining', async () => {
    const config = testIngestConfig(t);
    const redis = createRedis(config.redis, 'producer');
    await waitReady(redis, 5000);
    const app = await buildIngestApp(config, { redis, logger: silentLogger });
    const img = await makeImage('jpeg', { seed: 4 });
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/v1/cameras/cam-a/frames',
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN_A}` },
        payload: img,
      });
    expect((await send()).statusCode).toBe(202);
    app.ingest.startDraining();
    const res = await send();
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers.connection).toBe('close');
    expect(res.json().error).toMatchObject({
      code: 'SHUTTING_DOWN',
      message: expect.stringMatching(/shutting down/),
    });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    await app.close();
    await closeRedis(redis);
    await t.cleanup(config.redis.prefix);
  });

  it('with LPR_INGEST_PROCESSES=2 serves from two processes and stops both on SIGTERM with exit 0', async () => {
    const prefix = uniquePrefix('cluster');
    const keys = new StreamKeys(prefix);
    const { proc, log, exited } = spawnIngest(prefix, { LPR_INGEST_PROCESSES: '2' });
    await waitFor(() => (log.text.match(/ingest listening/g) ?? []).length >= 2, {
      timeoutMs: 25_000,
      what: 'two ingest processes to listen',
    });
    const port = Number(/"port":(\d+).*ingest listening/.exec(log.text)![1]);
    const pids = new Set([...log.text.matchAll(/"pid":(\d+)[^\n]*ingest listening/g)].map((m) => m[1]));
    expect(pids.size).toBe(2);
    const img = await makeImage('jpeg', { seed: 8 });
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/cameras/cam-a/frames?seq=${i}`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN_A}`, connection: 'close' },
        body: new Uint8Array(img),
      });
      expect(res.status).toBe(202);
    }
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((log.text.match(/ingest stopped/g) ?? []).length).toBe(2);
    expect(await t.client.xlen(keys.frames)).toBe(6);
    await t.cleanup(prefix);
  });
});
