import { type Server, createServer } from 'node:http';
import type { Logger } from '../shared/logger.ts';
import type { Worker } from './worker.ts';

/**
 * Tiny HTTP listener for operations: GET /metrics (Prometheus text), /healthz (the read loop is alive),
 * /readyz (started, recogniser warm, not shutting down). Anything else is 404.
 */
export function createWorkerHttpServer(worker: Worker, logger?: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return worker.healthy ? reply(200, 'ok\n') : reply(503, 'read loop stalled\n');
    if (path === '/readyz') return worker.ready ? reply(200, 'ready\n') : reply(503, 'not ready\n');
    if (path === '/metrics') {
      worker.metrics.registry.metrics().then(
        (text) => reply(200, text, worker.metrics.registry.contentType),
        (err: unknown) => {
          logger?.warn({ err }, 'collecting metrics failed');
          reply(500, 'metrics unavailable\n');
        },
      );
      return;
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
}
