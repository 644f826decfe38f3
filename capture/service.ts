import { createServer, type Server } from 'node:http';
import type { CameraConfig } from '../shared/config/camera-config.ts';
import { redactCameraUrl } from '../shared/config/camera-config.ts';
import { closeServer, listenOrExplain } from '../shared/http/listener.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { handleSignals, once, runAll } from '../shared/lifecycle.ts';
import { type Logger, moduleLogger } from '../shared/logger.ts';
import { CameraRunner, type CameraStatus } from './camera-runner.ts';
import { ChildReaper } from './child-reaper.ts';
import type { CaptureConfig } from './config.ts';
import { openCaptureSink } from './frame-sink.ts';
import { createCaptureMetrics } from './metrics.ts';
import { sourceStarter } from './sources.ts';
import { staticFilter } from './static-filter.ts';

export interface CaptureService {
  /** Base URL of /metrics and /healthz (undefined with CAPTURE_HTTP_PORT=0). */
  url: string | undefined;
  status(): CameraStatus[];
  /** Stops every camera (every ffmpeg child), the HTTP server and the Redis connection. Idempotent. */
  close(): Promise<void>;
  closed: Promise<void>;
}

/**
 * Starts one runner per enabled camera, the sink they share and the /metrics + /healthz server. With
 * `signals` (the CLI), SIGTERM/SIGINT run `close()` and exit. A ChildReaper watchdog kills the ffmpeg
 * children if this process dies without closing.
 */
export async function startCapture(
  config: CaptureConfig,
  cameras: readonly CameraConfig[],
  opts: { logger?: Logger; signals?: boolean } = {},
): Promise<CaptureService> {
  const logger = opts.logger ?? moduleLogger('capture');
  const enabled = cameras.filter((c) => c.enabled);
  const runners: CameraRunner[] = [];
  const metrics = createCaptureMetrics({
    defaultMetrics: opts.signals === true,
    lastFrameAge: () => runners.map((r) => [r.id, r.status().lastFrameAgeS] as [string, number]),
  });
  const sink = await openCaptureSink(
    config.ingestUrl !== undefined
      ? { kind: 'http', url: config.ingestUrl, token: config.ingestToken }
      : { kind: 'redis', redis: config.redis, backpressure: config.backpressure },
    logger,
  );
  const reaper = new ChildReaper();
  for (const camera of enabled) {
    runners.push(
      new CameraRunner({
        camera,
        sink,
        metrics,
        logger,
        startSource: sourceStarter(camera, { ffmpegPath: config.ffmpegPath, reaper }),
        ...(camera.skipStatic ? { isStatic: staticFilter(camera) } : {}),
      }),
    );
  }
  for (const r of runners) r.start();
  logger.info(
    {
      cameras: enabled.map((c) => ({
        id: c.id,
        url: redactCameraUrl(c.url),
        fps: c.fps,
        partition: partitionsOf(config.redis).index(c.id),
      })),
      disabled: cameras.length - enabled.length,
      target: config.ingestUrl ?? 'redis',
    },
    `capture started: ${enabled.length} camera${enabled.length === 1 ? '' : 's'}`,
  );

  let server: Server | undefined;
  let url: string | undefined;
  if (config.httpPort !== 0 || opts.signals !== true) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500).end(String(err));
          },
        );
      } else if (path === '/healthz') {
        const cameras = runners.map((r) => r.status());
        const up = cameras.filter((c) => c.state === 'up').length;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', up, cameras }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'NOT_FOUND', message: `no route ${path}; try /metrics or /healthz` },
          }),
        );
      }
    });
    const port = await listenOrExplain(server, config.httpPort, config.httpHost, {
      variable: 'CAPTURE_HTTP_PORT',
      what: '/metrics and /healthz',
    });
    const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info({ port }, 'capture /metrics and /healthz listening');
  }

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const close = once(async () => {
    try {
      await runAll(
        [
          ['cameras', () => Promise.all(runners.map((r) => r.stop()))],
          ['reaper', () => reaper.close()],
          ['http server', () => server && closeServer(server)],
          ['sink', () => sink.close()],
        ],
        logger,
      );
      logger.info('capture stopped');
    } finally {
      resolveClosed();
    }
  });
  if (opts.signals) handleSignals(() => close(), { timeoutMs: config.shutdownTimeoutMs, logger });
  return { url, status: () => runners.map((r) => r.status()), close, closed };
}
