// The private redis-server used by tests lives in shared/ because the demo uses it too.
export { RedisServerProcess, type RedisServerOptions, redisServerBinary } from '../../shared/redis/local-redis-server.ts';
