import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/codec/frame-codec.ts';
import { StreamKeys } from '../../shared/redis/keys.ts';
import { delay, waitFor } from '../../shared/util/wait.ts';
import { canOwnServer, silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { type IngestService, startIngest } from '../service.ts';
import { makeImage, postFrame, TOKEN_A, testIngestConfig } from './helpers.ts';

interface Outcome {
  seq: number;
  status: number;
  id?: string;
  code?: string;
  ms: number;
  retryAfter: string | null;
}

describe.skipIf(!canOwnServer())('ingest while Redis is killed and restarted', () => {
  let t: TestRedis;
  let svc: IngestService;
  let keys: StreamKeys;

  beforeAll(async () => {
    t = await useRedis({ appendonly: true });
    const config = testIngestConfig(t, { LPR_MAX_BACKLOG: '1000000', LPR_STREAM_MEMORY_BUDGET: '1GB' });
    keys = new StreamKeys(config.redis.prefix);
    svc = await startIngest(config, { logger: silentLogger });
  });
  afterAll(async () => {
    await svc?.close();
    await t.close();
  });

  it('answers 503 fast while Redis is down, recovers by itself, and loses no accepted frame', async () => {
    const img = await makeImage('jpeg', { seed: 42 });
    const outcomes: Outcome[] = [];
    let seq = 0;
    let stop = false;
    const poster = async () => {
      while (!stop) {
        const my = seq++;
        const started = Date.now();
        const res = await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A, query: `seq=${my}` });
        outcomes.push({
          seq: my,
          status: res.status,
          id: res.body.id,
          code: res.body.error?.code,
          ms: Date.now() - started,
          retryAfter: res.headers.get('retry-after'),
        });
        if (res.status !== 202) await delay(10); // pace the retries while Redis is away
      }
    };
    const posters = [poster(), poster(), poster()];
    const accepted = () => outcomes.filter((o) => o.status === 202).length;

    await waitFor(() => accepted() >= 30, { what: '30 accepted frames before the kill' });
    await t.server!.kill();
    const killedAt = outcomes.length;
    await waitFor(() => outcomes.slice(killedAt).filter((o) => o.status === 503).length >= 20, {
      what: '503 answers while Redis is down',
    });
    const ready = await fetch(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);

    await t.server!.start();
    const restartedAt = outcomes.length;
    await waitFor(() => outcomes.slice(restartedAt).filter((o) => o.status === 202).length >= 30, {
      timeoutMs: 15_000,
      what: 'frames accepted again after the restart',
    });
    stop = true;
    await Promise.all(posters);
    expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);

    const failures = outcomes.filter((o) => o.status !== 202);
    expect(failures.length).toBeGreaterThanOrEqual(20);
    for (const f of failures) {
      expect(f).toMatchObject({ status: 503, code: 'REDIS_UNAVAILABLE', retryAfter: '1' });
      expect(f.ms).toBeLessThan(15_000); // fail fast (2 s command timeout), no hanging sockets
    }

    // Every 202 is in the stream with the right sequence number (AOF kept them across kill -9).
    const rows = (await t.client.xrangeBuffer(keys.frames, '-', '+')) as [Buffer, Buffer[]][];
    const bySeq = new Map(
      rows.map(([id, fields]) => [decodeFrame(id.toString(), fields).seq, id.toString()]),
    );
    const ok = outcomes.filter((o) => o.status === 202);
    for (const o of ok) expect(bySeq.get(o.seq), `frame seq ${o.seq}`).toBe(o.id);
  });
});
