/**
 * `npm run bench:pipeline -- --cluster [--json]`: the pipeline on a local Redis Cluster with 1, 3 and 6
 * partitions (LPR_PARTITIONS), against one plain redis-server (one partition) in the same run.
 *
 *   npm run bench:pipeline -- --cluster --json
 *   npm run bench:pipeline -- --cluster --frames 3000 --partitions 1,3,6 --workers 2 --cameras 12 --replicas 0
 *
 * Frames (a ~100 KB JPEG, --cameras cameras round-robin) are written through the ingest FrameRouter (each to
 * its camera's partition, 16 writes in flight) while `--workers` worker processes (noop recogniser) read
 * every partition. fps = frames / (first write → last result). Redis CPU: `INFO cpu` (used_cpu_sys +
 * used_cpu_user) of every node before and after each run; a node's CPU per frame divides its CPU by the
 * frames of the partitions whose slots it serves. On this 2-core machine workers and nodes share two cores,
 * so fps cannot grow with the partitions; what carries over to real nodes is the CPU per frame a node
 * spends, and from it the projected capacity of one node: 1000 / (node CPU ms per frame) frames/s while
 * the node's main thread is busy 100 % of the time (Redis runs commands on one thread).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../shared/config/redis-config.ts';
import { REDIS_DEFAULTS } from '../shared/config/redis-config.ts';
import { FrameRouter } from '../ingest/frame-router.ts';
import { INGEST_DEFAULTS } from '../ingest/config.ts';
import { closeRedis, createRedis, type RedisClient, waitReady } from '../shared/redis/connection.ts';
import { LocalRedisCluster } from '../shared/redis/local-redis-cluster.ts';
import { RedisServerProcess } from '../shared/redis/local-redis-server.ts';
import { deleteKeysOfPrefix } from '../shared/redis/delete-prefix.ts';
import { partitionsOf } from '../shared/redis/partitions.ts';
import { entryIdMs } from '../shared/redis/stream/index.ts';
import { percentile } from '../shared/util/percentile.ts';
import { spawnBenchWorker } from './bench-worker.ts';

export interface ClusterBenchOptions {
  frames: number;
  partitions: number[];
  workers: number;
  cameras: number;
  concurrency: number;
  replicas: number;
  payload: Buffer;
  log: (msg: string) => void;
}

interface NodeCpu {
  port: number;
  /** Frames of the partitions this node serves (masters; replicas serve none). */
  frames: number;
  cpuMs: number;
  /** CPU ms per frame it served; null for a node that served none. */
  cpuMsPerFrame: number | null;
}

export interface RunFigures {
  target: 'single-node' | 'cluster';
  partitions: number;
  fps: number;
  p50Ms: number;
  p99Ms: number;
  nodes: NodeCpu[];
  /** Sum of every node's CPU (idle masters and replicas included) per frame. */
  cpuMsPerFrameAllNodes: number;
  /** CPU of the nodes that served frames / the frames: what one frame costs the node that holds it. */
  cpuMsPerFrameServed: number;
  /** 1000 / cpuMsPerFrameServed: frames/s one node sustains with its main thread 100 % busy. */
  projectedFpsPerNode: number;
}

async function cpuSeconds(port: number): Promise<number> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: false });
  try {
    const info = await r.info('cpu');
    const num = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return num('used_cpu_sys') + num('used_cpu_user');
  } finally {
    r.disconnect();
  }
}

/** One run: P partitions on `url`, o.workers workers, o.frames frames; CPU of `ports` measured around it. */
async function run(
  o: ClusterBenchOptions,
  target: RunFigures['target'],
  url: string,
  ports: number[],
  masterOf: (key: string) => Promise<number>,
  partitions: number,
): Promise<RunFigures> {
  const config: RedisConfig = {
    ...REDIS_DEFAULTS,
    url,
    prefix: `bench-p${partitions}-${randomUUID().slice(0, 6)}`,
    partitions,
    commandTimeoutMs: 10_000,
  };
  const parts = partitionsOf(config);
  const admin: RedisClient = createRedis(config, 'consumer', { name: 'bench-admin' });
  const producer = createRedis(config, 'producer', { name: 'bench-producer' });
  await Promise.all([waitReady(admin, 10_000), waitReady(producer, 10_000)]);
  const workers = Array.from({ length: o.workers }, (_, i) => spawnBenchWorker(config, i, o.concurrency));
  try {
    await Promise.all(workers.map((w) => w.started));
    const router = new FrameRouter(producer, parts, {
      ...INGEST_DEFAULTS.backpressure,
      maxBacklog: 10_000_000,
      memoryBudgetBytes: 64 * 1024 ** 3,
    });
    await router.ensureGroups();
    const cpuBefore = await Promise.all(ports.map(cpuSeconds));
    const started = Date.now();
    let next = 0;
    const writer = async () => {
      while (next < o.frames) {
        const i = next++;
        const camera = `cam-${i % o.cameras}`;
        await router.add({ camera, ts: Date.now(), mime: 'image/jpeg', img: o.payload, seq: i });
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    for (;;) {
      const lens = await Promise.all(parts.all.map((k) => admin.xlen(k.results)));
      if (lens.reduce((a, b) => a + b, 0) >= o.frames) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const cpuAfter = await Promise.all(ports.map(cpuSeconds));
    const lat: number[] = [];
    let last = 0;
    const framesOfPort = new Map<number, number>();
    for (const k of parts.all) {
      const rows = (await admin.xrange(k.results, '-', '+')) as [string, string[]][];
      const port = await masterOf(k.frames);
      framesOfPort.set(port, (framesOfPort.get(port) ?? 0) + rows.length);
      for (const [id, f] of rows) {
        lat.push(entryIdMs(id) - entryIdMs(f[f.indexOf('frame') + 1]!));
        last = Math.max(last, entryIdMs(id));
      }
    }
    lat.sort((a, b) => a - b);
    const nodes: NodeCpu[] = ports.map((port, i) => {
      const cpuMs = Math.round((cpuAfter[i]! - cpuBefore[i]!) * 1000);
      const frames = framesOfPort.get(port) ?? 0;
      return { port, frames, cpuMs, cpuMsPerFrame: frames > 0 ? round3(cpuMs / frames) : null };
    });
    const serving = nodes.filter((n) => n.frames > 0);
    const served = round3(serving.reduce((a, n) => a + n.cpuMs, 0) / o.frames);
    return {
      target,
      partitions,
      fps: Math.round((o.frames / ((last - started) / 1000)) * 10) / 10,
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      nodes,
      cpuMsPerFrameAllNodes: round3(nodes.reduce((a, n) => a + n.cpuMs, 0) / o.frames),
      cpuMsPerFrameServed: served,
      projectedFpsPerNode: served > 0 ? Math.round(1000 / served) : 0,
    };
  } finally {
    const exits = workers.map((w) => new Promise((r) => w.proc.once('exit', r)));
    for (const w of workers) w.proc.kill('SIGTERM');
    await Promise.all(exits);
    await deleteKeysOfPrefix(admin, parts.global).catch(() => undefined);
    await closeRedis(producer);
    await closeRedis(admin);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function runClusterBench(o: ClusterBenchOptions): Promise<{
  single: RunFigures;
  cluster: RunFigures[];
  masters: number;
  replicasPerMaster: number;
}> {
  const server = await RedisServerProcess.start({ args: ['--maxmemory-policy', 'noeviction'] });
  const cluster = await LocalRedisCluster.start({ masters: 3, replicasPerMaster: o.replicas });
  try {
    o.log(
      `cluster bench: ${o.frames} frames of ${o.payload.length} bytes from ${o.cameras} cameras, ${o.workers} workers (concurrency ${o.concurrency}); one redis-server vs a local cluster of 3 masters + ${3 * o.replicas} replicas`,
    );
    const single = await run(o, 'single-node', server.url, [server.port], async () => server.port, 1);
    o.log(line(single));
    const figures: RunFigures[] = [];
    for (const p of o.partitions) {
      const r = await run(
        o,
        'cluster',
        cluster.url,
        cluster.nodes.map((n) => n.port),
        (key) => cluster.masterPortForKey(key),
        p,
      );
      figures.push(r);
      o.log(line(r));
    }
    return { single, cluster: figures, masters: 3, replicasPerMaster: o.replicas };
  } finally {
    await cluster.destroy();
    await server.destroy();
  }
}

function line(r: RunFigures): string {
  const nodes = r.nodes
    .filter((n) => n.cpuMs > 0 || n.frames > 0)
    .map(
      (n) =>
        `${n.port}: ${n.frames} frames, ${n.cpuMs} ms CPU${n.cpuMsPerFrame !== null ? ` (${n.cpuMsPerFrame} ms/frame)` : ''}`,
    )
    .join('; ');
  return `${r.target} P=${r.partitions}: ${r.fps} frames/s, e2e p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms; Redis CPU ${r.cpuMsPerFrameAllNodes} ms/frame all nodes, on the node holding the frame ${r.cpuMsPerFrameServed} ms/frame → ~${r.projectedFpsPerNode} frames/s per node at one core [${nodes}]`;
}
