/**
 * A TCP byte relay for bench:ingest's `relay` mode: every connection to RELAY_PORT is piped, both ways and
 * unparsed, to the Redis server at REDIS_HOST:REDIS_PORT. It is the least work any process between clients
 * and Redis can do (no HTTP, no parsing, no copies in JavaScript), so the XADD loop through it shows the
 * ceiling for the HTTP path on this machine. Prints "ready" once listening; exits on SIGTERM.
 */
import { connect, createServer } from 'node:net';

const redisHost = process.env.REDIS_HOST ?? '127.0.0.1';
const redisPort = Number(process.env.REDIS_PORT ?? 6379);
const relayPort = Number(process.env.RELAY_PORT);

const server = createServer((client) => {
  const upstream = connect(redisPort, redisHost);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(relayPort, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
