import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { PlatestreamError } from '../shared/errors.ts';
import { compareIds, fieldPairs, isEntryId, nextId } from '../shared/redis/stream/index.ts';
import { delay } from '../shared/util/wait.ts';
import type { WebContext } from './app.ts';
import { type LiveMessage, liveChannels, renderSse } from './live-hub.ts';
import { SOURCE_NAMES, type SourceName } from './sources.ts';

interface LiveQuery {
  streams?: string;
  cursor?: string;
  after?: string;
}

/** Why the server ends a live connection (sent as the data of a final `close` event). */
export const CLOSE_REASONS = {
  'slow-client':
    'the client did not read fast enough and its buffer passed the limit; reconnect with the last id',
  'shutting-down': 'the web service is shutting down; reconnect (to another instance) with the last id',
} as const;

/**
 * Read positions of a live request, per channel (a stream: `results`, or `results@3` for partition 3 with
 * LPR_PARTITIONS > 1): `cursor=results:<id>,alerts:<id>` (what the page sends), else `Last-Event-ID` /
 * `after=<id>` for every channel, else undefined (live tail only).
 */
export function parseLivePositions(
  kinds: readonly string[],
  q: LiveQuery,
  lastEventId: string | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  let one = (q.after ?? lastEventId)?.trim();
  let cursor = q.cursor ?? '';
  // A multi-stream connection's message id is its per-stream positions, the cursor form.
  if (one?.includes(':')) {
    cursor = `${one},${cursor}`;
    one = undefined;
  }
  if (one !== undefined && one !== '') {
    if (!isEntryId(one)) {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `Last-Event-ID / after "${one.slice(0, 40)}" is not a stream id`,
      );
    }
    for (const k of kinds) out.set(k, one);
  }
  for (const part of cursor.split(',')) {
    if (part.trim() === '') continue;
    const [k, id] = part.split(':').map((s) => s.trim());
    if (k === undefined || !kinds.includes(k) || id === undefined || !isEntryId(id)) {
      throw new PlatestreamError(
        'BAD_REQUEST',
        `cursor "${part.slice(0, 60)}" is not <stream>:<id> for one of the requested streams (${kinds.join(', ')})`,
      );
    }
    out.set(k, id);
  }
  return out;
}

/**
 * GET /v1/live: Server-Sent Events of new entries (events, results, alerts; `streams=` picks). Every message
 * id is the entry's Redis stream id and its event name the stream. A client that comes back with
 * Last-Event-ID (or per-stream `cursor=`) first gets every entry after it, in id order, read from Redis at
 * its own pace, then the live tail from the process's one shared reader. A comment line every heartbeat
 * keeps proxies from closing the connection. A client whose unsent data passes LPR_WEB_CLIENT_BUFFER gets
 * `event: close` with reason slow-client and is disconnected; it resumes with its last id.
 */
export function registerLiveRoute(app: FastifyInstance, ctx: WebContext): void {
  const { metrics, config } = ctx;
  /** Open connections: how to end each with a reason, and its response (to wait for the close to flush). */
  const open = new Map<() => void, ServerResponse>();
  // preClose runs before the server drops its connections: live clients get their close reason first.
  app.addHook('preClose', async () => {
    const flushed = [...open].map(([end, res]) => {
      end();
      return new Promise<void>((resolve) => {
        if (res.writableFinished || res.destroyed) return resolve();
        res.once('finish', resolve);
        res.once('close', resolve);
      });
    });
    await Promise.race([Promise.all(flushed), delay(1000)]);
  });

  app.get<{ Querystring: LiveQuery }>(
    '/v1/live',
    {
      schema: {
        summary: 'Live feed (Server-Sent Events) with Last-Event-ID resume',
        description:
          'Message ids are Redis stream ids; event names are the stream (events, results, alerts). Send Last-Event-ID (or after=<id>, or cursor=results:<id>,alerts:<id>) to receive every entry after it first. A final "close" event carries {reason, message} when the server ends the connection (slow-client, shutting-down).',
        tags: ['live'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          properties: {
            streams: {
              type: 'string',
              description: 'comma-separated: events, results, alerts (default events,alerts)',
            },
            cursor: { type: 'string', description: 'per-stream positions: results:<id>,alerts:<id>' },
            after: { type: 'string', description: 'position for every stream (as Last-Event-ID)' },
          },
        },
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const kinds = (request.query.streams ?? 'events,alerts')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      for (const k of kinds) {
        if (!(SOURCE_NAMES as readonly string[]).includes(k)) {
          throw new PlatestreamError(
            'BAD_REQUEST',
            `streams: "${k}" is not one of ${SOURCE_NAMES.join(', ')}`,
          );
        }
      }
      const wanted = [...new Set(kinds)] as SourceName[];
      // One channel per stream: per kind, and per partition with LPR_PARTITIONS > 1 (`results@3`).
      const channels = liveChannels(ctx.parts, wanted);
      const names = channels.map((c) => c.channel);
      const header = request.headers['last-event-id'];
      const positions = parseLivePositions(names, request.query, Array.isArray(header) ? header[0] : header);
      if (!ctx.hub.status().running) {
        throw new PlatestreamError(
          'REDIS_UNAVAILABLE',
          `the live reader is not running yet: ${ctx.hub.status().problem}`,
        );
      }
      if (ctx.hub.status().clients >= config.live.maxClients) {
        throw new PlatestreamError(
          'BACKPRESSURE',
          `this web process already serves ${config.live.maxClients} live clients (LPR_WEB_MAX_CLIENTS); retry on another instance`,
        );
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.socket?.setNoDelay(true);
      res.write(`retry: 2000\n: connected ${new Date().toISOString()}\n\n`);
      metrics.liveClients.inc();

      const last = new Map<string, string>(positions);
      let pending: LiveMessage[] | undefined = [];
      let pendingBytes = 0;
      let overflowed = false;
      let ended = false;
      let corked = false;
      const abort = new AbortController();

      // One stream: the message id is the entry's stream id. Several (kinds, or partitions): the id lists
      // every stream's position (`results:<id>,alerts:<id>`, `results@0:<id>,results@1:<id>`), so a
      // reconnect with it resumes each stream exactly, even where two streams have entries in the same
      // millisecond (their ids do not order the writes).
      const idLine = (m: LiveMessage) =>
        names.length === 1 ? m.id : names.map((k) => `${k}:${last.get(k) ?? '0-0'}`).join(',');
      const write = (m: LiveMessage) => {
        last.set(m.channel, m.id);
        res.write(`id: ${idLine(m)}\n${m.body}`);
        metrics.liveMessages.inc({ stream: m.kind });
      };
      const end = (reason?: keyof typeof CLOSE_REASONS) => {
        if (ended) return;
        ended = true;
        abort.abort();
        unsubscribe();
        clearInterval(heartbeat);
        open.delete(endShutdown);
        metrics.liveClients.dec();
        if (reason) {
          metrics.liveDropped.inc({ reason });
          res.write(`event: close\ndata: ${JSON.stringify({ reason, message: CLOSE_REASONS[reason] })}\n\n`);
          res.end();
          // A client that does not read at all never drains the close: do not wait for it.
          setTimeout(() => res.destroy(), 2000).unref();
        } else {
          res.end();
        }
      };
      const endShutdown = () => end('shutting-down');
      open.set(endShutdown, res);

      // Streams without a given position start at the reader's, taken with the subscription (same tick):
      // every later entry reaches this client through it.
      for (const [k, id] of ctx.hub.positions()) if (names.includes(k) && !last.has(k)) last.set(k, id);
      const unsubscribe = ctx.hub.subscribe(new Set(wanted), (m) => {
        if (ended) return;
        if (pending !== undefined) {
          // Still catching up: keep the live tail aside; past the limit drop it and re-read from Redis.
          if (pendingBytes + m.body.length > config.live.maxBufferBytes) {
            pending = [];
            pendingBytes = 0;
            overflowed = true;
          } else {
            pending.push(m);
            pendingBytes += m.body.length;
          }
          return;
        }
        const prev = last.get(m.channel);
        if (prev !== undefined && compareIds(m.id, prev) <= 0) return;
        if (res.writableLength > config.live.maxBufferBytes) return end('slow-client');
        // The reader hands over a whole read's entries in one synchronous loop: corked until the loop
        // ends, they leave in one write per client instead of one per entry.
        if (!corked) {
          corked = true;
          res.cork();
          queueMicrotask(() => {
            corked = false;
            res.uncork();
          });
        }
        write(m);
      });
      const heartbeat = setInterval(() => {
        if (res.writableLength <= config.live.maxBufferBytes) res.write(`: heartbeat ${Date.now()}\n\n`);
      }, config.live.heartbeatMs);
      res.on('close', () => end());

      try {
        if (positions.size > 0) {
          for (;;) {
            overflowed = false;
            await catchUp(ctx, res, channels, last, write, abort.signal);
            if (!overflowed || ended) break;
          }
        }
        if (ended) return;
        const buffered = pending ?? [];
        pending = undefined;
        for (const m of buffered) {
          const prev = last.get(m.channel);
          if (prev === undefined || compareIds(m.id, prev) > 0) write(m);
        }
      } catch (err) {
        request.log.warn({ err }, 'live catch-up failed; closing the connection (the client resumes)');
        end();
      }
    },
  );
}

/**
 * Writes every entry after each stream's position, merged across streams in id order, reading pages as the
 * client drains them (its socket's backpressure bounds the memory). Also says when entries after a
 * position were already trimmed (event `gap`).
 */
async function catchUp(
  ctx: WebContext,
  res: ServerResponse,
  channels: ReturnType<typeof liveChannels>,
  last: Map<string, string>,
  write: (m: LiveMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  const page = ctx.config.live.catchUpPage;
  const queues = new Map<
    string,
    { ch: (typeof channels)[number]; rows: [string, string[]][]; done: boolean }
  >();
  for (const ch of channels) {
    const after = last.get(ch.channel);
    if (after === undefined) continue;
    if (await mayHaveGap(ctx, ch.stream, after)) {
      res.write(
        `event: gap\ndata: ${JSON.stringify({ stream: ch.channel, after, message: 'entries after this id may have been trimmed from Redis before this client read them; what is still there follows' })}\n\n`,
      );
    }
    queues.set(ch.channel, { ch, rows: [], done: false });
  }
  for (;;) {
    if (signal.aborted) return;
    let best: string | undefined;
    for (const [channel, q] of queues) {
      if (q.rows.length === 0 && !q.done) {
        const rows = (await ctx.redis.xrange(q.ch.stream, `(${last.get(channel)!}`, '+', 'COUNT', page)) as [
          string,
          string[],
        ][];
        q.rows = rows;
        q.done = rows.length < page;
      }
      const head = q.rows[0];
      if (head && (best === undefined || compareIds(head[0], queues.get(best)!.rows[0]![0]) < 0))
        best = channel;
    }
    if (best === undefined) return;
    const q = queues.get(best)!;
    const [id, fields] = q.rows.shift()!;
    const m = renderSse(q.ch, id, fields, ctx.parts.count);
    if (m) write(m);
    else last.set(best, id);
    // Wait only when write() asked to (writableNeedDrain): "drain" never comes otherwise. Node 22+ raised the
    // default highWaterMark from 16 KiB to 64 KiB, so "buffer above half of LPR_WEB_CLIENT_BUFFER" no longer
    // implies a pending drain and the catch-up hung on Node 24 (web/test/live.test.ts, Last-Event-ID resume).
    if (res.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
}

/**
 * Whether entries after `after` may have been removed before the client read them: one was deleted after
 * it (max-deleted-entry-id), or the stream was trimmed (entries-added > length) and its first entry is not
 * the one right after `after`. Redis 7+ reports these; older servers never report a gap.
 */
async function mayHaveGap(ctx: WebContext, stream: string, after: string): Promise<boolean> {
  if (after === '0-0') return false;
  try {
    const info = fieldPairs(await ctx.redis.xinfo('STREAM', stream));
    const deleted = info['max-deleted-entry-id'];
    if (typeof deleted === 'string' && deleted !== '0-0' && compareIds(deleted, after) > 0) return true;
    const added = Number(info['entries-added']);
    const first = info['recorded-first-entry-id'];
    const trimmed = Number.isFinite(added) && added > Number(info.length);
    return trimmed && typeof first === 'string' && compareIds(first, nextId(after)) > 0;
  } catch {
    return false;
  }
}
