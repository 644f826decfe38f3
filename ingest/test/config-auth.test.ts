import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config/env-reader.ts';
import { isPlatestreamError, type PlatestreamError } from '../../shared/errors.ts';
import { CameraAuth } from '../auth.ts';
import { INGEST_DEFAULTS, readIngestConfig } from '../config.ts';

function configError(env: Record<string, string>): PlatestreamError {
  try {
    readIngestConfig(new EnvReader(env));
  } catch (err) {
    if (isPlatestreamError(err)) return err;
    throw err;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('readIngestConfig', () => {
  it('returns frozen defaults with open auth', () => {
    const c = readIngestConfig(new EnvReader({ LPR_AUTH: 'open' }));
    expect(c.bodyLimitBytes).toBe(10 * 1024 * 1024);
    expect(c.backpressure).toEqual(INGEST_DEFAULTS.backpressure);
    expect(Object.isFrozen(c.backpressure)).toBe(true);
  });

  it('parses sizes with units and every option', () => {
    const c = readIngestConfig(
      new EnvReader({
        LPR_CAMERA_TOKENS: 'abcdefgh=cam-1',
        LPR_INGEST_BODY_LIMIT: '2MB',
        LPR_STREAM_MEMORY_BUDGET: '1.5GB',
        LPR_BACKPRESSURE_POLICY: 'drop-oldest',
        LPR_MAX_BACKLOG: '42',
        LPR_RETRY_AFTER_S: '7',
      }),
    );
    expect(c.bodyLimitBytes).toBe(2 * 1024 * 1024);
    expect(c.backpressure).toMatchObject({
      policy: 'drop-oldest',
      maxBacklog: 42,
      retryAfterSeconds: 7,
      memoryBudgetBytes: 1.5 * 1024 ** 3,
    });
  });

  it('reports every bad variable at once, saying what is allowed', () => {
    const err = configError({
      LPR_INGEST_PORT: 'eighty',
      LPR_INGEST_BODY_LIMIT: 'huge',
      LPR_BACKPRESSURE_POLICY: 'shed',
      LPR_MAX_BACKLOG: '0',
      REDIS_URL: 'http://x',
    });
    expect(err.code).toBe('CONFIG_INVALID');
    for (const name of [
      'LPR_CAMERA_TOKENS',
      'LPR_INGEST_PORT',
      'LPR_INGEST_BODY_LIMIT',
      'LPR_BACKPRESSURE_POLICY: "shed" is not one of reject, drop-oldest',
      'LPR_MAX_BACKLOG',
      'REDIS_URL',
    ]) {
      expect(err.message).toContain(name);
    }
    expect(err.message).toMatch(/6 problems/);
  });
});

describe('CameraAuth', () => {
  it('reads inline tokens and a tokens file; exact ids, prefixes and *', () => {
    const dir = mkdtempSync(join(tmpdir(), 'platestream-auth-'));
    try {
      const file = join(dir, 'tokens.json');
      writeFileSync(file, JSON.stringify({ 'file-token-1': ['lot-*'], 'file-token-all': '*' }));
      const auth = CameraAuth.fromOptions({
        mode: 'tokens',
        tokens: 'inline-token=cam-1,cam-2',
        tokensFile: file,
      });
      expect(() => auth.check('cam-2', 'Bearer inline-token')).not.toThrow();
      expect(() => auth.check('lot-9', 'bearer file-token-1')).not.toThrow();
      expect(() => auth.check('anything', 'Bearer file-token-all')).not.toThrow();
      expect(() => auth.check('cam-3', 'Bearer inline-token')).toThrow(/not allowed/);
      expect(() => auth.check('cam-1', 'Bearer nope-nope-nope')).toThrow(/not known/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed token configuration with a message naming the variable', () => {
    expect(() =>
      CameraAuth.fromOptions({ mode: 'tokens', tokens: 'short=cam', tokensFile: undefined }),
    ).toThrow(/LPR_CAMERA_TOKENS: token "sho…" is shorter than 8/);
    expect(() =>
      CameraAuth.fromOptions({ mode: 'tokens', tokens: 'no-equals-sign', tokensFile: undefined }),
    ).toThrow(/token=camera/);
    expect(() =>
      CameraAuth.fromOptions({ mode: 'tokens', tokens: undefined, tokensFile: '/nonexistent/tokens.json' }),
    ).toThrow(/LPR_CAMERA_TOKENS_FILE: cannot read/);
    expect(() =>
      CameraAuth.fromOptions({ mode: 'tokens', tokens: 'abcdefgh=bad!cam', tokensFile: undefined }),
    ).toThrow(/"bad!cam" is not a camera id/);
  });

  it('open mode lets everything through', () => {
    expect(() =>
      CameraAuth.fromOptions({ mode: 'open', tokens: undefined, tokensFile: undefined }).check(
        'x',
        undefined,
      ),
    ).not.toThrow();
  });
});
