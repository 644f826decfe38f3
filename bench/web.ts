/**
 * bench:web — many Server-Sent Events clients on one web process.
 *
 *   npm run bench:web [-- --clients 200 --entries 300 --rate 100 --json]
 *
 * Starts `platestream web` as its own process (so its memory is measured alone), opens --clients live
 * connections (streams=results), writes --entries results at --rate per second straight into Redis (`ts` =
 * the write time), and checks that every client received every entry, in order, once. Reports the delivery
 * latency (write → client, same machine clock) and the web process's resident memory (peak, from
 * /proc/<pid>/status). One more client goes offline after a third of the entries and comes back with its
 * Last-Event-ID after two thirds: `resumedAll` says it then had every entry, in order, once. Uses REDIS_URL when set (a key prefix of its own, deleted after), else starts a
 * private redis-server.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { encodeResult } from '../shared/codec/result-codec.ts';
import { deleteKeysOfPrefix } from '../shared/redis/delete-prefix.ts';
import { StreamKeys } from '../shared/redis/keys.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import { compareIds } from '../shared/redis/stream/index.ts';
import { freePort } from '../shared/util/free-port.ts';
import { percentile } from '../shared/util/percentile.ts';
import { delay, waitFor } from '../shared/util/wait.ts';
import { openSse, type SseConnection } from '../web/sse-reader.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    entries: { type: 'string', default: '300' },
    rate: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const ENTRIES = Number(values.entries);
const RATE = Number(values.rate);
const TOKEN = `bench-${randomUUID()}`;
const BIN = fileURLToPath(new URL('../bin/platestream.js', import.meta.url));

/** Resident memory of a process in MiB: current and peak (Linux /proc). */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

interface ClientState {
  conn: SseConnection;
  ids: string[];
  latencies: number[];
  outOfOrder: number;
}

async function main(): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await RedisServerProcess.start();
  const url = process.env.REDIS_URL ?? server!.url;
  const keys = new StreamKeys(`benchweb-${randomUUID().slice(0, 8)}`);
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const port = await freePort();
  const web = spawn(process.execPath, [BIN, 'web'], {
    env: {
      ...process.env,
      REDIS_URL: url,
      LPR_PREFIX: keys.prefix,
      LPR_WEB_HOST: '127.0.0.1',
      LPR_WEB_PORT: String(port),
      LPR_WEB_TOKENS: `${TOKEN}=viewer`,
      LPR_WEB_MAX_CLIENTS: String(CLIENTS + 10),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const clients: ClientState[] = [];
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, {
      what: 'the web process',
      timeoutMs: 30_000,
    });
    const idle = rss(web.pid!);
    for (let i = 0; i < CLIENTS; i++) {
      const c: ClientState = {
        ids: [],
        latencies: [],
        outOfOrder: 0,
        conn: undefined as unknown as SseConnection,
      };
      c.conn = openSse(
        `${base}/v1/live?streams=results`,
        { authorization: `Bearer ${TOKEN}` },
        {
          onMessage: (m) => {
            if (m.event !== 'results' || m.id === undefined) return;
            const prev = c.ids.at(-1);
            if (prev !== undefined && compareIds(m.id, prev) <= 0) c.outOfOrder++;
            c.ids.push(m.id);
            c.latencies.push(Date.now() - (JSON.parse(m.data) as { ts: number }).ts);
          },
        },
      );
      clients.push(c);
    }
    const statuses = await Promise.all(clients.map((c) => c.conn.status));
    const refused = statuses.filter((s) => s !== 200).length;
    if (refused > 0) throw new Error(`${refused} of ${CLIENTS} live connections were refused`);
    const connected = rss(web.pid!);

    // The client that goes offline and resumes with Last-Event-ID.
    const resumed: string[] = [];
    const follow = (lastId?: string) =>
      openSse(
        `${base}/v1/live?streams=results`,
        { authorization: `Bearer ${TOKEN}`, ...(lastId ? { 'last-event-id': lastId } : {}) },
        { onMessage: (m) => m.event === 'results' && m.id !== undefined && resumed.push(m.id) },
      );
    let offline: SseConnection | undefined = follow();
    await offline.status;

    const written: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < ENTRIES; i++) {
      if (i === Math.floor(ENTRIES / 3)) {
        offline?.close();
        offline = undefined;
      }
      if (i === Math.floor((2 * ENTRIES) / 3)) offline = follow(resumed.at(-1));
      const due = t0 + (i * 1000) / RATE;
      if (due > Date.now()) await delay(due - Date.now());
      const id = await redis.xadd(
        keys.results,
        '*',
        ...encodeResult({
          frame: `${i}-0`,
          camera: `cam-${i % 8}`,
          ts: Date.now(),
          plate: `B${String(i).padStart(5, '0')}`,
          confidence: 0.9,
          plates: [],
          model: 'bench',
          worker: 'bench',
          timings: {},
        }),
      );
      written.push(id!);
    }
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      (clients.some((c) => c.ids.length < ENTRIES) || resumed.length < ENTRIES)
    ) {
      await delay(50);
    }
    offline?.close();
    const after = rss(web.pid!);
    const deliveredAll = clients.every(
      (c) => c.outOfOrder === 0 && c.ids.length === ENTRIES && c.ids.every((id, i) => id === written[i]),
    );
    const all = clients.flatMap((c) => c.latencies);
    const summary = {
      clients: CLIENTS,
      entries: ENTRIES,
      ratePerSecond: RATE,
      deliveredAll,
      resumedAll: resumed.length === ENTRIES && resumed.every((id, i) => id === written[i]),
      incompleteClients: clients.filter((c) => c.ids.length !== ENTRIES).length,
      messages: all.length,
      p50DeliveryMs: Math.round(percentile(all, 50)),
      p95DeliveryMs: Math.round(percentile(all, 95)),
      maxDeliveryMs: Math.max(0, ...all),
      rssMb: Math.round(after.peak),
      rssIdleMb: Math.round(idle.now),
      rssConnectedMb: Math.round(connected.now),
      rssEndMb: Math.round(after.now),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `bench:web  ${CLIENTS} SSE clients, ${ENTRIES} results at ${RATE}/s\n` +
          `  every client got every entry in order: ${deliveredAll ? 'yes' : 'NO'}\n` +
          `  a client offline for the middle third got every entry once after resuming: ${summary.resumedAll ? 'yes' : 'NO'}\n` +
          `  delivery latency p50 ${summary.p50DeliveryMs} ms, p95 ${summary.p95DeliveryMs} ms, max ${summary.maxDeliveryMs} ms\n` +
          `  web process RSS: idle ${summary.rssIdleMb} MiB, ${CLIENTS} clients ${summary.rssConnectedMb} MiB, peak ${summary.rssMb} MiB\n`,
      );
    }
    if (!deliveredAll || !summary.resumedAll) process.exitCode = 1;
  } finally {
    for (const c of clients) c.conn.close();
    web.kill('SIGTERM');
    await new Promise((r) => web.once('exit', r));
    await deleteKeysOfPrefix(redis, keys).catch(() => {});
    redis.disconnect();
    await server?.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:web failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
