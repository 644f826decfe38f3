import type { TestProject } from 'vitest/node';
import { redisServerBinary } from '../../shared/redis/local-redis-server.ts';

/**
 * Decides once per run where test Redis servers come from:
 * 1. REDIS_URL set → every test file uses that server (tests needing kill/restart skip with a reason);
 * 2. a `redis-server` binary → each test file starts its own private server (see useRedis());
 * 3. Docker available → one testcontainers Redis for the run;
 * 4. none → fail with instructions.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    project.provide('redisMode', 'url');
    project.provide('redisUrl', process.env.REDIS_URL);
    return async () => {};
  }
  if (redisServerBinary()) {
    project.provide('redisMode', 'binary');
    project.provide('redisUrl', '');
    return async () => {};
  }
  let container:
    | { stop(): Promise<unknown>; getHost(): string; getMappedPort(p: number): number }
    | undefined;
  try {
    const { GenericContainer } = await import('testcontainers');
    container = await new GenericContainer('redis:7.0-alpine').withExposedPorts(6379).start();
  } catch (err) {
    throw new Error(
      'Tests need Redis and none was found. Do one of:\n' +
        '  - apt-get install redis-server   (Debian/Ubuntu; the harness starts private servers itself)\n' +
        '  - brew install redis             (macOS)\n' +
        '  - start Docker (the harness then uses a redis:7.0 container)\n' +
        '  - REDIS_URL=redis://host:port npm test   (use an existing server; tests use unique key prefixes)\n' +
        `(testcontainers said: ${err instanceof Error ? err.message : String(err)})`,
    );
  }
  project.provide('redisMode', 'container');
  project.provide('redisUrl', `redis://${container.getHost()}:${container.getMappedPort(6379)}`);
  return async () => {
    await container?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisMode: 'url' | 'binary' | 'container';
    redisUrl: string;
  }
}
