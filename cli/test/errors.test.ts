import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamKeys } from '../../shared/redis/keys.ts';
import {
  PLATESTREAM_BIN,
  ROOT,
  runNode,
  type TestPostgres,
  type TestRedis,
  uniquePrefix,
  usePostgres,
  useRedis,
} from '../../test/harness/index.ts';

/** Every command error is one line `platestream <command>: [CODE] what happened; what to do`. */
function expectOneLine(stderr: string, command: string, code: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^platestream ${command}: \\[${code}\\] `));
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('command errors (real processes)', () => {
  let t: TestRedis;
  let pgt: TestPostgres;
  let env: Record<string, string>;
  beforeAll(async () => {
    [t, pgt] = await Promise.all([useRedis(), usePostgres()]);
    env = { REDIS_URL: t.url, LPR_PREFIX: uniquePrefix('clierr'), LOG_LEVEL: 'info' };
  });
  afterAll(async () => {
    await Promise.all([t?.close(), pgt?.close()]);
  });

  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runNode([PLATESTREAM_BIN, ...args], { env: { ...env, ...extra }, timeoutMs: 30_000 });

  it('usage errors exit 2 with one line naming the fix: bad DLQ id, extra argument, unknown option', async () => {
    const bad = await cli(['dlq', 'show', 'not-an-id']);
    expect(bad.code).toBe(2);
    expect(expectOneLine(bad.stderr, 'dlq', 'USAGE')).toMatch(/"not-an-id" is not a DLQ entry id.*dlq list/);

    const extra = await cli(['annotate', '--result', 'A', 'B']);
    expect(extra.code).toBe(2);
    expect(expectOneLine(extra.stderr, 'annotate', 'USAGE')).toMatch(/'B'.*--help/);

    const unknown = await cli(['results', 'tail', '--no-follow', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(expectOneLine(unknown.stderr, 'results', 'USAGE')).toMatch(/--bogus.*--help/);

    const synth = await cli(['synth', '/tmp/x', '--count', 'many']);
    expect(synth.code).toBe(2);
    expect(expectOneLine(synth.stderr, 'synth', 'USAGE')).toMatch(/--count must be a non-negative integer/);

    const command = await cli(['frobnicate']);
    expect(command.code).toBe(2);
    const lines = command.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^platestream: \[USAGE\] unknown command "frobnicate"; the commands are .*worker/,
    );
  }, 120_000);

  it('a Redis error reply is one line naming the command, exit 1', async () => {
    const keys = new StreamKeys(env.LPR_PREFIX);
    await t.client.set(keys.dlq, 'not a stream');
    const r = await cli(['dlq', 'list']);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr, 'dlq', 'REDIS_REPLY')).toMatch(/WRONGTYPE/);
    await t.client.del(keys.dlq);
  }, 120_000);

  it('stats --watch | head: the closed pipe ends the command quietly', async () => {
    const proc = spawn(process.execPath, [PLATESTREAM_BIN, 'stats', '--watch', '--interval', '0.1'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    // Like `head -1`: read the first chunk, then close the reading end.
    await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
    proc.stdout.destroy();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 120_000);

  it('PostgreSQL refusing the role or the database: one line with the SQL that creates them', async () => {
    const dbUrl = await pgt.createDatabase('clierr');
    const noRole = new URL(dbUrl);
    noRole.username = 'nosuchrole';
    noRole.password = 'pw';
    noRole.pathname = '/nosuchdb';
    const role = await cli(['db', 'migrate'], { DATABASE_URL: noRole.toString() });
    expect(role.code).toBe(1);
    const line = expectOneLine(role.stderr, 'db', 'DATABASE_ACCESS');
    expect(line).toMatch(/role "nosuchrole" does not exist/);
    expect(line).toContain('CREATE ROLE "nosuchrole" LOGIN');
    expect(line).toContain('CREATE DATABASE "nosuchdb" OWNER "nosuchrole"');
    expect(line).toContain('platestream db migrate');
    expect(line).not.toContain(':pw@'); // the password is redacted

    const noDb = new URL(dbUrl);
    noDb.pathname = '/nosuchdb';
    const db = await cli(['db', 'migrate'], { DATABASE_URL: noDb.toString() });
    expect(db.code).toBe(1);
    expect(expectOneLine(db.stderr, 'db', 'DATABASE_ACCESS')).toContain('CREATE DATABASE "nosuchdb" OWNER');
  }, 120_000);
});
