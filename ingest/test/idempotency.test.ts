import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import { canOwnServer, silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { REPLAY_DEFAULTS, replay } from '../replay/replay.ts';
import { type IngestService, startIngest } from '../service.ts';
import { makeImage, TOKEN_A, testIngestConfig } from './helpers.ts';

type Answer = { status: number; body: { id?: string; duplicate?: boolean; error?: { code: string } } };

/**
 * Issue 17 item 3: when Redis is slow the producer's client-side timeout answers 503 while the XADD still
 * executes; the camera's retry must not store the frame twice. Reproduced for real: CLIENT PAUSE WRITE holds
 * the script past REDIS_COMMAND_TIMEOUT_MS, then lets it run.
 */
describe.skipIf(!canOwnServer())('ingest idempotency', () => {
  let t: TestRedis;
  let svc: IngestService;
  let keys: StreamKeys;
  let jpeg: Buffer;

  beforeAll(async () => {
    t = await useRedis();
    const config = testIngestConfig(t, { REDIS_COMMAND_TIMEOUT_MS: '200', LPR_RETRY_AFTER_S: '1' });
    keys = new StreamKeys(config.redis.prefix);
    svc = await startIngest(config, { logger: silentLogger });
    jpeg = await makeImage('jpeg', { seed: 21 });
  });
  afterAll(async () => {
    await svc?.close();
    await t.close();
  });

  async function post(query: string, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${svc.url}/v1/cameras/cam-a/frames${query}`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN_A}`, ...headers },
      body: new Uint8Array(jpeg),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }

  it('a retry after a 503 whose XADD still ran gets the first id back; the frame is stored once', async () => {
    const before = await t.client.xlen(keys.frames);
    await t.client.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const first = await post('', { 'Idempotency-Key': 'cam-a-0001' });
    expect(first.status).toBe(503);
    expect(first.body.error?.code).toBe('REDIS_UNAVAILABLE');
    // The paused write runs once the pause ends.
    await waitFor(async () => (await t.client.xlen(keys.frames)) === before + 1, {
      timeoutMs: 15_000,
      what: 'the timed-out XADD to run',
    });
    const retry = await post('', { 'Idempotency-Key': 'cam-a-0001' });
    expect(retry.status).toBe(202);
    expect(retry.body.duplicate).toBe(true);
    const [last] = (await t.client.xrevrange(keys.frames, '+', '-', 'COUNT', 1)) as [string, string[]][];
    expect(retry.body.id).toBe(last![0]);
    expect(await t.client.xlen(keys.frames)).toBe(before + 1);
    // Another key is another frame.
    const other = await post('', { 'Idempotency-Key': 'cam-a-0002' });
    expect(other.status).toBe(202);
    expect(other.body.duplicate).toBeUndefined();
    expect(await t.client.xlen(keys.frames)).toBe(before + 2);
  });

  it('derives the key from seq and ts when there is no header; a bad header is 400', async () => {
    const before = await t.client.xlen(keys.frames);
    const ts = Date.now();
    const a = await post(`?seq=41&ts=${ts}`);
    const b = await post(`?seq=41&ts=${ts}`);
    expect(a.status).toBe(202);
    expect(b).toEqual({ status: 202, body: { id: a.body.id, duplicate: true } });
    // The same seq at another time (a camera that restarted its sequence) is a new frame.
    const c = await post(`?seq=41&ts=${ts + 1}`);
    expect(c.body.duplicate).toBeUndefined();
    // seq without ts is no key: a client numbering frames per run repeats seq with new frames.
    const d = await post('?seq=41');
    const e = await post('?seq=41');
    expect([d.body.duplicate, e.body.duplicate]).toEqual([undefined, undefined]);
    expect(await t.client.xlen(keys.frames)).toBe(before + 4);
    const bad = await post('', { 'Idempotency-Key': 'has space' });
    expect(bad.status).toBe(400);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/platestream_ingest_frames_duplicate_total 2/);
  });

  it('drop-oldest de-duplicates in its admission script too', async () => {
    const config = testIngestConfig(t, { LPR_BACKPRESSURE_POLICY: 'drop-oldest' });
    const k = new StreamKeys(config.redis.prefix);
    const dropOldest = await startIngest(config, { logger: silentLogger });
    try {
      const send = async () => {
        const res = await fetch(`${dropOldest.url}/v1/cameras/cam-a/frames`, {
          method: 'POST',
          headers: {
            'content-type': 'image/jpeg',
            authorization: `Bearer ${TOKEN_A}`,
            'idempotency-key': 'x-1',
          },
          body: new Uint8Array(jpeg),
        });
        return (await res.json()) as Answer['body'];
      };
      const a = await send();
      const b = await send();
      expect(b).toEqual({ id: a.id, duplicate: true });
      expect(await t.client.xlen(k.frames)).toBe(1);
    } finally {
      await dropOldest.close();
    }
  });

  it('replay retries a 503 with the same seq and ts, so a frame whose write went through is stored once', async () => {
    const before = await t.client.xlen(keys.frames);
    await t.client.call('CLIENT', 'PAUSE', '1200', 'WRITE');
    const summary = await replay({
      ...REPLAY_DEFAULTS,
      source: {
        kind: 'generated',
        name: 'one',
        count: 1,
        frames: async function* () {
          yield { name: 'a', img: jpeg, mime: 'image/jpeg' as const };
        },
      },
      target: { kind: 'http', url: svc.url, token: TOKEN_A },
      cameras: ['cam-a'],
      concurrency: 1,
    });
    expect(summary.retried).toBeGreaterThan(0);
    expect(summary.accepted).toBe(1);
    expect(await t.client.xlen(keys.frames)).toBe(before + 1);
  });
});
