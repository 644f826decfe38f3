import http from 'node:http';

/** One Server-Sent Events message as a client sees it. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Incremental Server-Sent Events parser (the WHATWG rules this service uses: `id:`, `event:`, `data:`,
 * comment lines starting with ":", messages ended by a blank line). Feed it chunks; it calls `onMessage`
 * per message and `onComment` per comment line. For the tests and `bench:web`; browsers have their own.
 */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  constructor(
    private readonly onMessage: (m: SseMessage) => void,
    private readonly onComment: (text: string) => void = () => {},
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
      nl = this.buffer.indexOf('\n');
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== '') {
        this.onMessage({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.id = undefined;
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) {
      this.onComment(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') this.id = value;
    else if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}

export interface SseConnection {
  /** Resolves with the response status once headers arrived. */
  status: Promise<number>;
  /** Resolves when the server ended the connection (or it failed). */
  ended: Promise<void>;
  close(): void;
}

/** Opens GET `url` as an event stream with the given headers (a keep-alive agent is not used). */
export function openSse(
  url: string,
  headers: Record<string, string>,
  handlers: { onMessage: (m: SseMessage) => void; onComment?: (text: string) => void },
): SseConnection {
  const parser = new SseParser(handlers.onMessage, handlers.onComment);
  let resolveStatus!: (n: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((r) => {
    resolveStatus = r;
  });
  const ended = new Promise<void>((r) => {
    resolveEnded = r;
  });
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => parser.push(chunk));
    res.on('end', resolveEnded);
    res.on('close', resolveEnded);
    res.on('error', resolveEnded);
  });
  req.on('error', () => {
    resolveStatus(0);
    resolveEnded();
  });
  return { status, ended, close: () => req.destroy() };
}
