import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { type TestRedis, useRedis } from '../../test/harness/index.ts';
import { type IngestService, startIngest } from '../service.ts';
import { makeImage, TOKEN_A, testIngestConfig } from './helpers.ts';

/** Ingest under hostile or broken clients (issue 17): each case answers 4xx with a code, never a 500. */
describe('ingest hardening', () => {
  let t: TestRedis;
  let svc: IngestService;
  let keys: StreamKeys;
  const logLines: string[] = [];

  beforeAll(async () => {
    t = await useRedis();
    const config = testIngestConfig(t, { LOG_LEVEL: 'info', LPR_INGEST_REQUEST_TIMEOUT_MS: '1500' });
    keys = new StreamKeys(config.redis.prefix);
    const logger = createLogger({ level: 'info' }, { write: (s: string) => void logLines.push(s) });
    svc = await startIngest(config, { logger });
  });
  afterAll(async () => {
    await svc?.close();
    await t.cleanup(keys.prefix);
    await t.close();
  });

  async function post(type: string, body: string | Buffer, headers: Record<string, string> = {}) {
    const res = await fetch(`${svc.url}/v1/cameras/cam-a/frames`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${TOKEN_A}`, ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    return {
      status: res.status,
      body: (await res.json()) as { id?: string; error?: { code: string; message: string } },
    };
  }

  it('malformed multipart (no boundary, truncated) is 400 MULTIPART_INVALID without a stack in the log', async () => {
    const jpeg = await makeImage('jpeg', { seed: 5 });
    const before = await t.client.xlen(keys.frames);
    const logged = logLines.length;
    const head =
      '--XYZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n';
    const cases: [string, string, string | Buffer][] = [
      ['no boundary', 'multipart/form-data', 'garbage'],
      [
        'truncated',
        'multipart/form-data; boundary=XYZ',
        Buffer.concat([Buffer.from(head), jpeg.subarray(0, 100)]),
      ],
    ];
    for (const [name, type, body] of cases) {
      const res = await post(type, body);
      expect({ name, status: res.status, code: res.body.error?.code }).toEqual({
        name,
        status: 400,
        code: 'MULTIPART_INVALID',
      });
      expect(res.body.error!.message, name).toMatch(/malformed.*boundary/);
    }
    expect(await t.client.xlen(keys.frames)).toBe(before);
    const newLines = logLines.slice(logged).join('');
    expect(newLines).not.toContain('"stack"');
    expect(newLines).not.toContain('"level":50');
  });

  /** A raw TCP client that sends the headers and then one body byte every `everyMs` (a slowloris client). */
  function trickle(headers: string, everyMs: number): { socket: Socket; closed: Promise<string> } {
    const url = new URL(svc.url);
    const socket = connect(Number(url.port), url.hostname);
    let got = '';
    socket.on('data', (b) => {
      got += b.toString();
    });
    socket.on('error', () => {});
    const timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write('x');
    }, everyMs);
    socket.write(headers);
    const closed = new Promise<string>((resolve) =>
      socket.once('close', () => {
        clearInterval(timer);
        resolve(got);
      }),
    );
    return { socket, closed };
  }

  const head = (token: string) =>
    `POST /v1/cameras/cam-a/frames HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100000\r\n\r\n`;

  it('a client trickling its body is cut off after LPR_INGEST_REQUEST_TIMEOUT_MS (408, connection closed)', async () => {
    const started = Date.now();
    const c = trickle(head(TOKEN_A), 300);
    const got = await c.closed;
    const took = Date.now() - started;
    expect(got).toMatch(/^HTTP\/1\.1 408/);
    // 1.5 s timeout, checked at least every second; generous for a loaded machine but far below minutes.
    expect(took).toBeLessThan(15_000);
  });

  it('an auth failure answers 401 with Connection: close and drops the connection without reading the body', async () => {
    const c = trickle(head('not-a-known-token'), 300);
    const got = await c.closed;
    expect(got).toMatch(/^HTTP\/1\.1 401/);
    expect(got.toLowerCase()).toContain('connection: close');
    expect(got).toContain('"UNAUTHORIZED"');
  });

  it('refuses a capture ts outside LPR_TS_MAX_SKEW_MS of the server clock (400 TS_OUT_OF_RANGE)', async () => {
    const jpeg = await makeImage('jpeg', { seed: 6 });
    const before = await t.client.xlen(keys.frames);
    const now = Date.now();
    for (const ts of [
      2 ** 53 - 1,
      now + 2 * 24 * 3600_000,
      now - 2 * 24 * 3600_000,
      Math.floor(now / 1000),
    ]) {
      const res = await fetch(`${svc.url}/v1/cameras/cam-a/frames?ts=${ts}`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN_A}` },
        body: new Uint8Array(jpeg),
      });
      const body = (await res.json()) as { error?: { code: string; message: string } };
      expect({ ts, status: res.status, code: body.error?.code }).toEqual({
        ts,
        status: 400,
        code: 'TS_OUT_OF_RANGE',
      });
      expect(body.error!.message).toMatch(/LPR_TS_MAX_SKEW_MS/);
    }
    expect(await t.client.xlen(keys.frames)).toBe(before);
    const ok = await post('image/jpeg', jpeg);
    expect(ok.status).toBe(202);
  });

  it('refuses at ingest an image the decoder would refuse (44.8 MP: 422, not 202 and then the DLQ)', async () => {
    const png = Buffer.from(await makeImage('png', { seed: 8 }));
    png.writeUInt32BE(8000, 16);
    png.writeUInt32BE(5600, 20);
    const res = await post('image/png', png);
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('IMAGE_TOO_MANY_PIXELS');
    expect(res.body.error?.message).toMatch(/44800000 pixels/);
  });

  it('counts the DLQ and results in the memory budget (503 BACKPRESSURE naming them, /readyz shows them)', async () => {
    const config = testIngestConfig(t, { LPR_STREAM_MEMORY_BUDGET: '2MB' });
    const k = new StreamKeys(config.redis.prefix);
    const small = await startIngest(config, { logger: createLogger({ level: 'silent' }) });
    try {
      const jpeg = await makeImage('jpeg', { seed: 9 });
      const send = () =>
        fetch(`${small.url}/v1/cameras/cam-a/frames`, {
          method: 'POST',
          headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN_A}` },
          body: new Uint8Array(jpeg),
        });
      expect((await send()).status).toBe(202);
      // Three dead-lettered 1 MB images: the frames stream itself is tiny.
      for (let i = 0; i < 3; i++)
        await t.client.xadd(k.dlq, '*', 'img', Buffer.alloc(1024 * 1024, i), 'stage', 'decode');
      const res = await send();
      const body = (await res.json()) as { error?: { code: string; message: string } };
      expect(res.status).toBe(503);
      expect(body.error?.code).toBe('BACKPRESSURE');
      expect(body.error?.message).toMatch(/dlq \d{7}/);
      const ready = (await (await fetch(`${small.url}/readyz`)).json()) as {
        otherBytes: { dlq: number };
        totalBytes: number;
        budgetBytes: number;
      };
      expect(ready.otherBytes.dlq).toBeGreaterThan(3 * 1024 * 1024);
      expect(ready.totalBytes).toBeGreaterThan(ready.budgetBytes);
    } finally {
      await small.close();
      await t.cleanup(k.prefix);
    }
  });
});
