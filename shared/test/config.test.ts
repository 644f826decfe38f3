import { describe, expect, it } from 'vitest';
import { EnvReader } from '../config/env-reader.ts';
import { readRedisConfig } from '../config/redis-config.ts';
import { redisOptionsFromUrl } from '../redis/connection.ts';
import { isPlatestreamError } from '../errors.ts';

describe('config', () => {
  it('reports every bad variable together and freezes the result', () => {
    const r = new EnvReader({ REDIS_URL: 'http://x', LPR_PREFIX: 'a:b', REDIS_CONNECT_TIMEOUT_MS: 'soon' });
    readRedisConfig(r);
    let err: unknown;
    try {
      r.finish();
    } catch (e) {
      err = e;
    }
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('REDIS_URL');
    expect(msg).toContain('LPR_PREFIX');
    expect(msg).toContain('REDIS_CONNECT_TIMEOUT_MS');
    expect(msg).toMatch(/3 problems/);
  });

  it('accepts defaults and freezes', () => {
    const r = new EnvReader({});
    const c = readRedisConfig(r);
    r.finish();
    expect(c.prefix).toBe('lpr');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses TLS, ACL user, password and db index', () => {
    const o = redisOptionsFromUrl('rediss://alice:s%40cret@cache.example:6380/2');
    expect(o).toMatchObject({
      host: 'cache.example',
      port: 6380,
      db: 2,
      username: 'alice',
      password: 's@cret',
    });
    expect(o.tls).toBeDefined();
    const p = redisOptionsFromUrl('redis://127.0.0.1:6379');
    expect(p.tls).toBeUndefined();
    expect(p.db).toBe(0);
  });

  it('rejects a non-numeric db index', () => {
    const r = new EnvReader({ REDIS_URL: 'redis://h:1/abc' });
    readRedisConfig(r);
    expect(() => r.finish()).toThrow(/database index/);
  });
});
