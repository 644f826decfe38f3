import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/commands.ts';
import type { CliIO } from '../../shared/cli/index.ts';
import { type AlertJobData, deliverAlert } from '../deliver.ts';
import { addressProblem, DEFAULT_WEBHOOK_POLICY, webhookPolicyProblem } from '../webhook-policy.ts';

const SECRET = 'test-secret-0123456789';

function io(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

function job(webhook: string): AlertJobData {
  return {
    id: '1-0',
    alert: {
      plate: 'AB123CD',
      watchPlate: 'AB123CD',
      camera: 'gate',
      ts: String(Date.now()),
      frame: '1-0',
      entry: '1',
      label: 'x',
      fuzzy: '0',
      distance: '0',
      confidence: '0.9',
      webhook,
    },
  } as AlertJobData;
}

/** Issue 17 items 8 and 9: where webhooks may point, and credentials never shown. */
describe('webhook destination policy', () => {
  let server: Server;
  let port = 0;
  const received: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.close();
  });

  it('refuses loopback, link-local, private and localhost destinations unless allowed', () => {
    const refused = [
      'http://127.0.0.1/admin',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/x',
      'http://[fe80::1]/x',
      'http://10.1.2.3/x',
      'http://192.168.1.1/x',
      'http://172.20.0.1/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://localhost:9000/x',
      'http://0.0.0.0/x',
    ];
    for (const url of refused)
      expect(webhookPolicyProblem(url, DEFAULT_WEBHOOK_POLICY), url).toMatch(/refused/);
    for (const url of ['https://hooks.example.org/x', 'http://8.8.8.8/x'])
      expect(webhookPolicyProblem(url, DEFAULT_WEBHOOK_POLICY), url).toBeUndefined();
    const allow = { allow: ['127.0.0.1/32', '10.0.0.0/8', 'hooks.internal'] };
    expect(webhookPolicyProblem('http://127.0.0.1/x', allow)).toBeUndefined();
    expect(webhookPolicyProblem('http://10.9.9.9/x', allow)).toBeUndefined();
    expect(webhookPolicyProblem('http://169.254.169.254/x', allow)).toMatch(/link-local/);
    expect(addressProblem('fe80::abcd', DEFAULT_WEBHOOK_POLICY)).toMatch(/link-local/);
  });

  it('watchlist add and import refuse such webhooks before touching the database', async () => {
    const add = io();
    const code = await main(
      ['watchlist', 'add', 'AB123CD', '--label', 'x', '--webhook', 'http://169.254.169.254/latest'],
      add,
    );
    expect(code).toBe(1);
    expect(add.err()).toMatch(/WATCHLIST_INVALID.*link-local.*LPR_WEBHOOK_ALLOW/);
    const dir = mkdtempSync(join(tmpdir(), 'wl-policy-'));
    const csv = join(dir, 'plates.csv');
    writeFileSync(
      csv,
      'plate,label,webhook\nAB1,ok,https://hooks.example.org/x\nAB2,bad,http://10.0.0.1/x\n',
    );
    const imp = io();
    expect(await main(['watchlist', 'import', csv], imp)).toBe(1);
    rmSync(dir, { recursive: true, force: true });
    expect(imp.err()).toMatch(/line 3: .*10\.0\.0\.1 is a private address/);
    expect(imp.err()).not.toMatch(/line 2/);
    const allowed = io({ LPR_WEBHOOK_ALLOW: '127.0.0.1/32' });
    await main(['watchlist', 'add', 'AB123CD', '--label', 'x', '--webhook', 'http://127.0.0.1:9/h'], allowed);
    // Past the webhook check it wants a database (none configured here).
    expect(allowed.err()).not.toMatch(/refused/);
    expect(allowed.err()).toMatch(/DATABASE_URL/);
  });

  it('delivery refuses a loopback receiver (nothing is sent) and delivers when it is allowed', async () => {
    const before = received.length;
    const url = `http://127.0.0.1:${port}/hook`;
    await expect(
      deliverAlert(job(url), { defaultWebhook: undefined, secret: SECRET, requestTimeoutMs: 2000 }),
    ).rejects.toThrow(/loopback/);
    expect(received.length).toBe(before);
    const status = await deliverAlert(job(url), {
      defaultWebhook: undefined,
      secret: SECRET,
      requestTimeoutMs: 2000,
      policy: { allow: ['127.0.0.1/32'] },
    });
    expect(status).toBe(200);
    expect(received.length).toBe(before + 1);
  });

  it('delivery checks the addresses a name resolves to (a name for an internal address is refused)', async (ctx) => {
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0 || addresses.some((a) => !addressProblem(a.address, DEFAULT_WEBHOOK_POLICY)))
      ctx.skip(); // this host's name resolves to a public address here
    const url = `http://${name}:${port}/hook`;
    expect(webhookPolicyProblem(url, DEFAULT_WEBHOOK_POLICY)).toBeUndefined(); // a name passes the static check
    const before = received.length;
    await expect(
      deliverAlert(job(url), { defaultWebhook: undefined, secret: SECRET, requestTimeoutMs: 2000 }),
    ).rejects.toThrow(/resolves to/);
    expect(received.length).toBe(before);
  });

  it('credentials in a webhook URL are sent as Basic auth and never appear in errors or CLI output', async () => {
    const secretUrl = `http://hook-user:s3cret-pw@127.0.0.1:${port}/hook`;
    const before = received.length;
    await deliverAlert(job(secretUrl), {
      defaultWebhook: undefined,
      secret: SECRET,
      requestTimeoutMs: 2000,
      policy: { allow: ['127.0.0.1/32'] },
    });
    expect(received[before]?.authorization).toBe(
      `Basic ${Buffer.from('hook-user:s3cret-pw').toString('base64')}`,
    );
    // A receiver that is down: the error names the receiver without its credentials.
    const closed = `http://hook-user:s3cret-pw@127.0.0.1:1/hook`;
    const err = await deliverAlert(job(closed), {
      defaultWebhook: undefined,
      secret: SECRET,
      requestTimeoutMs: 2000,
      policy: { allow: ['127.0.0.1/32'] },
    }).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/POST http:\/\/127\.0\.0\.1:1\/hook failed/);
    expect(JSON.stringify(err) + String((err as Error).message)).not.toContain('s3cret');
    // CLI: a bad webhook and a bad REDIS_URL with credentials are reported without them.
    const bad = io();
    await main(['watchlist', 'add', 'AB1', '--label', 'x', '--webhook', 'ftp://u:s3cret-pw@x/'], bad);
    expect(bad.err()).toMatch(/ftp:\/\/\*\*\*@x/);
    expect(bad.err()).not.toContain('s3cret');
    const redis = io({ REDIS_URL: 'redis://u:s3cret-pw@host:notaport' });
    expect(await main(['stats'], redis)).not.toBe(0);
    expect(redis.err()).toMatch(/REDIS_URL/);
    expect(redis.err()).not.toContain('s3cret');
  });
});
