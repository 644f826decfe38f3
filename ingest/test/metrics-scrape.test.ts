import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys, WORKER_GROUP } from '../../shared/redis/keys.ts';
import { silentLogger, type TestRedis, useRedis } from '../../test/harness/index.ts';
import { type IngestService, startIngest } from '../service.ts';
import { jpegOfSize, postFrame, TOKEN_A, testIngestConfig } from './helpers.ts';

function gauge(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in /metrics:\n${text}`);
  return Number(m[1]);
}

describe('ingest /metrics', () => {
  let t: TestRedis;
  let svc: IngestService | undefined;
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    if (svc) {
      await svc.close();
      await t.cleanup(svc.app.ingest.keys.prefix);
    }
    await t.close();
  });

  it('reads the backlog and stream memory gauges from Redis at scrape time, not at the last frame', async () => {
    svc = await startIngest(testIngestConfig(t, { LPR_BACKPRESSURE_CHECK_MS: '60000' }), {
      logger: silentLogger,
    });
    const keys = new StreamKeys(svc.app.ingest.keys.prefix);
    const img = await jpegOfSize(2000);
    for (let i = 0; i < 6; i++)
      expect((await postFrame(svc.url, 'cam-a', img, { token: TOKEN_A })).status).toBe(202);
    const scrape = async () => (await fetch(`${svc!.url}/metrics`)).text();
    expect(gauge(await scrape(), 'platestream_ingest_backlog_frames')).toBe(6);

    // Workers catch up (read, ack, trim) while no frame arrives: the next scrape shows it.
    const reply = (await t.client.xreadgroup(
      'GROUP',
      WORKER_GROUP,
      'w1',
      'COUNT',
      100,
      'STREAMS',
      keys.frames,
      '>',
    )) as [string, [string, string[]][]][];
    const ids = reply[0]![1].map(([id]) => id);
    expect(ids).toHaveLength(6);
    await t.client.xack(keys.frames, WORKER_GROUP, ...ids);
    await t.client.xdel(keys.frames, ...ids);
    const text = await scrape();
    expect(gauge(text, 'platestream_ingest_backlog_frames')).toBe(0);
    expect(gauge(text, 'platestream_ingest_stream_memory_bytes')).toBe(
      Number(await t.client.memory('USAGE', keys.frames, 'SAMPLES', 5)),
    );
  });
});
