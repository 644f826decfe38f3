import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../../shared/redis/connection.ts';
import { NOTIFIER_GROUP, StreamKeys } from '../../shared/redis/keys.ts';
import { waitFor } from '../../shared/util/wait.ts';
import {
  freePort,
  killChildren,
  silentLogger,
  spawnPlatestream,
  type TestRedis,
  useRedis,
} from '../../test/harness/index.ts';
import { type AlertFields, alertFieldList } from '../alert-codec.ts';
import { Notifier } from '../notifier.ts';
import { NOTIFIER_DEFAULTS, type NotifierConfig } from '../notifier-config.ts';
import { verify } from '../signature.ts';
import { webhookQueue } from '../webhook-queue.ts';

const SECRET = 'test-secret-0123456789';

let t: TestRedis;
beforeAll(async () => {
  t = await useRedis();
});
afterAll(async () => {
  await t?.close();
});

/** A webhook receiver that records every POST; `mode` decides whether it answers 200 or holds the request. */
class Receiver {
  readonly posts: Array<{ key: string; path: string; body: string; signed: boolean }> = [];
  /** Idempotency keys answered with 200, with how often. */
  readonly accepted = new Map<string, number>();
  mode: 'ok' | 'hold' = 'ok';
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const key = String(req.headers['idempotency-key'] ?? '');
        const signed = verify(SECRET, body, req.headers['x-platestream-signature'] as string | undefined);
        this.posts.push({ key, path: req.url ?? '', body, signed });
        if (this.mode === 'hold') {
          this.held.push(res);
          return;
        }
        this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

function alert(i: number, more: Partial<AlertFields> = {}): AlertFields {
  return {
    plate: `AB${100 + i}`,
    watchPlate: `AB${100 + i}`,
    camera: `cam-${i % 3}`,
    ts: String(1_800_000_000_000 + i),
    frame: `${1_800_000_000_000 + i}-0`,
    entry: String(i + 1),
    label: `label ${i}`,
    fuzzy: '0',
    distance: '0',
    confidence: '0.93',
    webhook: '',
    ...more,
  };
}

function config(over: Partial<NotifierConfig>): NotifierConfig {
  return {
    ...NOTIFIER_DEFAULTS,
    defaultWebhook: undefined,
    secret: SECRET,
    consumer: 'n1',
    backoffBaseMs: 40,
    backoffMaxMs: 250,
    retryForMs: 60_000,
    claimIdleMs: 300,
    lockMs: 1000,
    blockMs: 200,
    requestTimeoutMs: 2000,
    // The receivers listen on loopback, which the webhook policy refuses unless allowed.
    policy: { allow: ['127.0.0.1/32'] },
    ...over,
  };
}

async function addAlerts(keys: StreamKeys, alerts: AlertFields[]): Promise<string[]> {
  const ids: string[] = [];
  for (const a of alerts) ids.push((await t.client.xadd(keys.alerts, '*', ...alertFieldList(a)))!);
  return ids;
}

describe('alert notifier', () => {
  it('delivers every alert, each idempotency key once, to a receiver that is down for a while', async () => {
    const redisConfig = t.config();
    const keys = new StreamKeys(redisConfig.prefix);
    const rcv = new Receiver(await freePort());
    const own = new Receiver(await freePort());
    const alerts = Array.from({ length: 20 }, (_, i) => alert(i));
    alerts[7] = alert(7, {
      webhook: `http://127.0.0.1:${own.port}/own?x=1`,
      fuzzy: '1',
      distance: '1',
      plate: 'AB1O7',
    });
    const ids = await addAlerts(keys, alerts);
    const notifier = new Notifier(redisConfig, config({ defaultWebhook: rcv.url }), silentLogger);
    const conn = createRedis(redisConfig, 'consumer');
    const queue = webhookQueue(conn, keys);
    try {
      await notifier.start();
      // Every alert is tried (and fails) at least once while nobody listens.
      await waitFor(
        async () =>
          (await Promise.all(ids.map((id) => queue.getJob(id)))).every((j) => j && j.attemptsMade >= 1),
        { timeoutMs: 15_000, what: 'a failed attempt for every alert' },
      );
      expect(notifier.stats.delivered).toBe(0);
      await rcv.start();
      await own.start();
      await waitFor(() => rcv.accepted.size === 19 && own.accepted.size === 1, {
        timeoutMs: 15_000,
        what: 'deliveries',
      });
      // Every job finished and every alert acknowledged; then a quiet period longer than a reclaim
      // (claimIdleMs 300 + claim round) and the longest backoff (250 ms) several times over: a duplicate
      // that arrives late would land in it.
      await waitFor(
        async () => {
          const c = await queue.getJobCounts('completed', 'active', 'waiting', 'delayed');
          const pending = (await t.client.xpending(keys.alerts, NOTIFIER_GROUP)) as [number, ...unknown[]];
          return (
            c.completed === 20 &&
            (c.active ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0) === 0 &&
            Number(pending[0]) === 0
          );
        },
        { timeoutMs: 15_000, what: 'every job completed and every alert acknowledged' },
      );
      await new Promise((r) => setTimeout(r, 3000));

      expect([...rcv.accepted.keys(), ...own.accepted.keys()].sort()).toEqual([...ids].sort());
      expect([...rcv.accepted.values(), ...own.accepted.values()].every((n) => n === 1)).toBe(true);
      expect(rcv.posts.every((p) => p.signed)).toBe(true);
      const mine = own.posts[0]!;
      expect(mine.path).toBe('/own?x=1');
      expect(JSON.parse(mine.body)).toEqual({
        id: ids[7],
        plate: 'AB1O7',
        watchPlate: 'AB107',
        camera: 'cam-1',
        ts: 1_800_000_000_007,
        capturedAt: new Date(1_800_000_000_007).toISOString(),
        frame: '1800000000007-0',
        entry: { id: '8', label: 'label 7' },
        fuzzy: true,
        distance: 1,
        confidence: 0.93,
      });
      const pending = (await t.client.xpending(keys.alerts, NOTIFIER_GROUP)) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);
    } finally {
      await notifier.close();
      await queue.close();
      await closeRedis(conn);
      await rcv.stop();
      await own.stop();
      await t.cleanup(redisConfig.prefix);
    }
  });

  it('re-reads alerts a crashed notifier queued but never acknowledged, without queueing them twice', async () => {
    const redisConfig = t.config();
    const keys = new StreamKeys(redisConfig.prefix);
    const rcv = new Receiver(await freePort());
    await rcv.start();
    const ids = await addAlerts(
      keys,
      Array.from({ length: 6 }, (_, i) => alert(i)),
    );
    // The crashed notifier "ghost" read all six and handed the first four to BullMQ, then died before XACK.
    await t.client.xgroup('CREATE', keys.alerts, NOTIFIER_GROUP, '0');
    await t.client.xreadgroup('GROUP', NOTIFIER_GROUP, 'ghost', 'COUNT', 10, 'STREAMS', keys.alerts, '>');
    const conn = createRedis(redisConfig, 'consumer');
    const queue = webhookQueue(conn, keys);
    await queue.addBulk(
      ids.slice(0, 4).map((id, i) => ({ name: 'alert', data: { id, alert: alert(i) }, opts: { jobId: id } })),
    );
    const notifier = new Notifier(
      redisConfig,
      config({ defaultWebhook: rcv.url, consumer: 'rescuer' }),
      silentLogger,
    );
    try {
      await notifier.start();
      await waitFor(() => rcv.accepted.size === 6, { timeoutMs: 15_000, what: 'deliveries' });
      await waitFor(
        async () => ((await t.client.xpending(keys.alerts, NOTIFIER_GROUP)) as [number])[0] === 0,
        {
          what: 'acknowledged',
        },
      );
      expect([...rcv.accepted.keys()].sort()).toEqual([...ids].sort());
      expect(rcv.posts).toHaveLength(6);
      expect(await queue.getJobCounts('completed')).toEqual({ completed: 6 });
    } finally {
      await notifier.close();
      await queue.close();
      await closeRedis(conn);
      await rcv.stop();
      await t.cleanup(redisConfig.prefix);
    }
  });

  it('loses nothing when the notifier process is killed mid-delivery', async () => {
    const redisConfig = t.config();
    const keys = new StreamKeys(redisConfig.prefix);
    const rcv = new Receiver(await freePort());
    rcv.mode = 'hold';
    await rcv.start();
    const first = await addAlerts(
      keys,
      Array.from({ length: 10 }, (_, i) => alert(i)),
    );
    const child = spawnPlatestream(['notifier'], {
      env: {
        REDIS_URL: redisConfig.url,
        LPR_PREFIX: redisConfig.prefix,
        NOTIFIER_SECRET: SECRET,
        LPR_WEBHOOK_URL: rcv.url,
        LPR_WEBHOOK_ALLOW: '127.0.0.1/32',
        NOTIFIER_CONSUMER: 'doomed',
        NOTIFIER_CONCURRENCY: '4',
        NOTIFIER_LOCK_MS: '1000',
        NOTIFIER_CLAIM_IDLE_MS: '300',
        NOTIFIER_BACKOFF_BASE_MS: '40',
        NOTIFIER_BACKOFF_MAX_MS: '250',
        LOG_LEVEL: 'warn',
      },
    });
    const notifier = new Notifier(
      redisConfig,
      config({ defaultWebhook: rcv.url, consumer: 'survivor' }),
      silentLogger,
    );
    try {
      // Four POSTs are in flight (held by the receiver) when the process dies without warning.
      await waitFor(() => rcv.heldCount >= 4, {
        timeoutMs: 20_000,
        what: `held POSTs (notifier said: ${child.output()})`,
      });
      await killChildren([child]);
      const later = await addAlerts(
        keys,
        Array.from({ length: 5 }, (_, i) => alert(10 + i)),
      );
      await rcv.stop();
      rcv.mode = 'ok';
      await rcv.start();
      await notifier.start();
      const all = [...first, ...later].sort();
      await waitFor(() => rcv.accepted.size === all.length, {
        timeoutMs: 20_000,
        what: 'every alert delivered',
      });
      expect([...rcv.accepted.keys()].sort()).toEqual(all);
      // Receivers may see a held alert again (that is what the idempotency key is for), never a foreign one.
      expect(rcv.posts.every((p) => all.includes(p.key) && p.signed)).toBe(true);
    } finally {
      await killChildren([child]);
      await notifier.close();
      await rcv.stop();
      await t.cleanup(redisConfig.prefix);
    }
  });
});
