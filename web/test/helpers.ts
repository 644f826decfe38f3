import { EnvReader } from '../../shared/config/env-reader.ts';
import { encodeResult, type ResultRecord } from '../../shared/codec/result-codec.ts';
import { silentLogger, type TestRedis, uniquePrefix } from '../../test/harness/index.ts';
import { readWebConfig, type WebConfig } from '../config.ts';
import { startWeb, type WebService } from '../service.ts';

export const VIEWER = 'viewer-token-1111';
export const ADMIN = 'admin-token-2222';

/** A web config for a test: the test file's Redis, a fresh prefix, port 0, one viewer and one admin token. */
export function testWebConfig(t: TestRedis, env: Record<string, string> = {}): WebConfig {
  return readWebConfig(
    new EnvReader({
      REDIS_URL: t.url,
      LPR_PREFIX: uniquePrefix('web'),
      REDIS_CONNECT_TIMEOUT_MS: '500',
      REDIS_COMMAND_TIMEOUT_MS: '2000',
      LPR_WEB_HOST: '127.0.0.1',
      LPR_WEB_PORT: '0',
      LPR_WEB_TOKENS: `${VIEWER}=viewer;${ADMIN}=admin`,
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
}

export function startTestWeb(config: WebConfig): Promise<WebService> {
  return startWeb(config, { logger: silentLogger });
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

export function result(over: Partial<ResultRecord> & { watchlist?: string } = {}): string[] {
  const { watchlist, ...rest } = over;
  const fields = encodeResult({
    frame: '1-0',
    camera: 'gate-1',
    ts: Date.now(),
    plate: 'AB123CD',
    confidence: 0.9,
    plates: [],
    model: 'test',
    worker: 'w1',
    timings: { totalMs: 5 },
    ...rest,
  });
  if (watchlist !== undefined) fields.push('watchlist', watchlist);
  return fields;
}
