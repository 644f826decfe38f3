import type { CameraConfig } from '../shared/config/camera-config.ts';
import { delay } from '../shared/util/wait.ts';
import { HttpAuth } from './http-auth.ts';
import { MultipartSplitter } from './multipart-splitter.ts';
import { classifyFailure, type SourceFailure, type SourceHandlers, type SourceRun } from './source.ts';

/**
 * An HTTP camera: an MJPEG stream (`multipart/x-mixed-replace`, parts cut by MultipartSplitter, no
 * decoding) or a JPEG snapshot URL polled at the camera's fps over one keep-alive connection (fetch's
 * pool). `mode: 'auto'` looks at the first answer's content type. Basic or Digest authentication from
 * the credentials (HttpAuth); a 401 that remains ends the run as `auth`.
 */
export function startHttpSource(
  camera: CameraConfig,
  mode: 'auto' | 'mjpeg' | 'snapshot',
  handlers: SourceHandlers,
): SourceRun {
  const abort = new AbortController();
  const auth = new HttpAuth(camera.credentials);
  const timeoutMs = camera.stallTimeoutS * 1000;
  const request = (): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'image/jpeg, multipart/x-mixed-replace, */*' };
    const authorization = auth.header(camera.url);
    if (authorization) headers.authorization = authorization;
    return fetch(camera.url, {
      headers,
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
    });
  };
  const get = async (): Promise<Response> => {
    let res = await request();
    // A Digest challenge is answered once (Basic went first, or the nonce went stale).
    if (res.status === 401 && auth.challenge(res.headers.get('www-authenticate'))) {
      await res.body?.cancel().catch(() => undefined);
      res = await request();
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new HttpStatusError(res.status, res.statusText);
    }
    return res;
  };

  const body = async (): Promise<void> => {
    let res = await get();
    const boundary = MultipartSplitter.boundaryOf(res.headers.get('content-type'));
    if (mode === 'mjpeg' || (mode === 'auto' && boundary !== undefined)) {
      if (boundary === undefined) {
        throw new Error(
          `expected an MJPEG stream (multipart/x-mixed-replace), got ${res.headers.get('content-type')}`,
        );
      }
      const splitter = new MultipartSplitter(boundary);
      // The whole-stream fetch timeout does not apply to a stream; the runner's stall watchdog does.
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const part of splitter.push(Buffer.from(chunk))) handlers.onFrame(part, Date.now());
      }
      throw new Error('the MJPEG stream ended');
    }
    const interval = 1000 / camera.fps;
    for (;;) {
      const started = Date.now();
      handlers.onFrame(Buffer.from(await res.arrayBuffer()), Date.now());
      await delay(Math.max(0, started + interval - Date.now()), abort.signal);
      if (abort.signal.aborted) return;
      res = await get();
    }
  };

  const ended: Promise<SourceFailure | undefined> = body().then(
    () => undefined,
    (err: unknown) => {
      if (abort.signal.aborted) return undefined;
      if (err instanceof HttpStatusError) {
        return { kind: classifyFailure(String(err.status)), message: `HTTP ${err.status} ${err.statusText}` };
      }
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const detail = e.cause?.code ?? e.cause?.message ?? e.message;
      const message =
        e.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : `${e.message}${detail !== e.message ? ` (${detail})` : ''}`;
      return { kind: classifyFailure(message), message };
    },
  );
  return {
    ended,
    stop: async () => {
      abort.abort();
      await ended;
    },
  };
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`HTTP ${status} ${statusText}`);
  }
}
