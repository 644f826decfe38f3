import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** The page's files, read once at start-up (they ship in the package: no CDN, works offline). */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** GET / and the page's assets (no token: the page logs in with one and keeps it in session storage). */
export function registerStaticRoutes(app: FastifyInstance): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(new URL(`./static/${file}`, import.meta.url));
    app.get(url, { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'",
        )
        .send(body),
    );
  }
}
