import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Child,
  freePort,
  killChildren,
  spawnPlatestream,
  type TestRedis,
  useRedis,
} from '../../test/harness/index.ts';

/** Fatal start-up errors of `platestream worker` (the real command, noop recogniser). */
describe('worker start-up', () => {
  let t: TestRedis;
  const children: Child[] = [];
  const servers: Server[] = [];
  beforeAll(async () => {
    t = await useRedis();
  });
  afterAll(async () => {
    await killChildren(children);
    for (const s of servers) s.close();
    await t.close();
  });

  function worker(name: string, env: Record<string, string>): Child {
    const config = t.config();
    const c = spawnPlatestream(['worker'], {
      name,
      env: {
        REDIS_URL: config.url,
        LPR_PREFIX: config.prefix,
        LPR_RECOGNIZER: 'noop',
        WORKER_CONSUMER: name,
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    children.push(c);
    return c;
  }

  it('a metrics port held by another process: one line naming the fix, exit 1, no stack', async () => {
    const port = await freePort();
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    const c = worker('second', { WORKER_HTTP_PORT: String(port), WORKER_HTTP_HOST: '127.0.0.1' });
    const exit = await c.exited;
    expect(exit.code, c.output()).toBe(1);
    const line = c
      .output()
      .split('\n')
      .find((l) => l.startsWith('platestream worker:'));
    expect(line, c.output()).toMatch(/\[ADDRESS_IN_USE\].*WORKER_HTTP_PORT=auto/);
    expect(c.output()).not.toMatch(/\n\s+at /);
  });

  it('WORKER_HTTP_PORT=auto: two workers on one host each bind a free port and log it', async () => {
    const a = worker('auto-a', { WORKER_HTTP_PORT: 'auto', WORKER_HTTP_HOST: '127.0.0.1' });
    const b = worker('auto-b', { WORKER_HTTP_PORT: 'auto', WORKER_HTTP_HOST: '127.0.0.1' });
    await Promise.all([a.logged('"msg":"worker started"'), b.logged('"msg":"worker started"')]);
    const portOf = (c: Child) => {
      const m = /"port":(\d+),[^\n]*metrics and health listener up/.exec(c.output());
      return Number(m?.[1]);
    };
    const [pa, pb] = [portOf(a), portOf(b)];
    expect(pa).toBeGreaterThan(0);
    expect(pb).toBeGreaterThan(0);
    expect(pa).not.toBe(pb);
    for (const p of [pa, pb]) {
      const res = await fetch(`http://127.0.0.1:${p}/healthz`);
      expect(res.status).toBe(200);
    }
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect((await b.exited).code).toBe(0);
  });
});
