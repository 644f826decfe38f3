import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlatestreamError } from '../errors.ts';

/** Listens and resolves with the bound port (useful with port 0 in tests). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** What listenOrExplain says when the port is taken: the variable that sets it and what listens there. */
export interface ListenContext {
  /** The environment variable that chooses the port, e.g. `WORKER_HTTP_PORT`. */
  variable: string;
  /** What the listener serves, e.g. `/metrics`. */
  what: string;
  /** Whether the variable accepts `auto` (any free port). */
  auto?: boolean;
}

/**
 * Binds a plain HTTP listener; a port another process holds (a second worker on the same host, an events and
 * a capture process both on their default port) becomes one ADDRESS_IN_USE error naming the variable to set,
 * instead of a stack trace. `port` 'auto' binds any free port.
 */
export async function listenOrExplain(
  server: Server,
  port: number | 'auto',
  host: string,
  ctx: ListenContext,
): Promise<number> {
  try {
    return await listen(server, port === 'auto' ? 0 : port, host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const choices = ctx.auto ? `, ${ctx.variable}=auto for any free port,` : '';
      throw new PlatestreamError(
        'ADDRESS_IN_USE',
        `cannot listen on ${host}:${port} for ${ctx.what} (${String(code)}): another process holds it; give this process its own ${ctx.variable}${choices} or 0 to turn the listener off`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Closes the listener and its open connections; resolves at once when it is not listening. Idempotent. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
