import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/codec/frame-codec.ts';
import { partitionsOf } from '../../shared/redis/partitions.ts';
import { type IngestService, startIngest } from '../../ingest/service.ts';
import { makeImage, postFrame, TOKEN_A, testIngestConfig } from '../../ingest/test/helpers.ts';
import { silentLogger, type TestRedis, useRedis } from '../harness/index.ts';

/** `platestream ingest` with LPR_PARTITIONS=4: each camera's frames go to its partition, /readyz sums. */
describe('ingest with partitions', () => {
  let t: TestRedis;
  let svc: IngestService;
  let config: ReturnType<typeof testIngestConfig>;

  beforeAll(async () => {
    t = await useRedis();
    config = testIngestConfig(t, { LPR_PARTITIONS: '4' });
    svc = await startIngest(config, { logger: silentLogger });
  });
  afterAll(async () => {
    await svc?.close();
    await t.cleanup(config.redis.prefix);
    await t.close();
  });

  it("writes every camera's frames (and idempotency keys) to the camera's partition; /readyz sums them", async () => {
    const parts = partitionsOf(config.redis);
    const img = await makeImage('jpeg', { seed: 3 });
    const cameras = ['cam-a', 'gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5'];
    const ts = Date.now() - 1000;
    for (const [i, camera] of cameras.entries()) {
      const res = await postFrame(svc.url, camera, img, { token: TOKEN_A, query: `seq=${i}&ts=${ts}` });
      expect(res.status).toBe(202);
      const k = parts.of(camera);
      const rows = (await t.client.xrangeBuffer(k.frames, res.body.id!, res.body.id!)) as [
        Buffer,
        Buffer[],
      ][];
      expect(decodeFrame(res.body.id!, rows[0]![1]).camera).toBe(camera);
      // The same seq and ts again is a retry: same id, nothing written (the idempotency key is in that partition).
      const again = await postFrame(svc.url, camera, img, { token: TOKEN_A, query: `seq=${i}&ts=${ts}` });
      expect(again.body.id).toBe(res.body.id);
    }
    const lens = await Promise.all(parts.all.map((k) => t.client.xlen(k.frames)));
    expect(lens.reduce((a, b) => a + b, 0)).toBe(cameras.length);
    expect(lens.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await t.client.xlen(parts.global.frames)).toBe(0);
    const ready = (await (await fetch(`${svc.url}/readyz`)).json()) as { length: number; partitions: number };
    expect(ready).toMatchObject({ length: cameras.length, partitions: 4 });
  });
});
