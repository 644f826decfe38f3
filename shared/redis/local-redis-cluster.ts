import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../util/free-port.ts';
import { keySlot } from './key-slot.ts';
import { RedisServerProcess, redisServerBinary } from './local-redis-server.ts';

/** The redis-cli binary (REDIS_CLI_BIN or `redis-cli` on PATH), or undefined when it is missing. */
export function redisCliBinary(): string | undefined {
  const bin = process.env.REDIS_CLI_BIN ?? 'redis-cli';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? bin : undefined;
}

/** Whether this machine can start a local Redis Cluster (redis-server and redis-cli both present). */
export function canStartLocalCluster(): boolean {
  return redisServerBinary() !== undefined && redisCliBinary() !== undefined;
}

export interface RedisClusterOptions {
  /** Number of masters (default 3; Redis Cluster needs at least 3). */
  masters?: number;
  /** Replicas per master (default 1). */
  replicasPerMaster?: number;
  /** AOF (appendfsync always) on every node, so a killed node restarts with its data. */
  appendonly?: boolean;
  /**
   * cluster-node-timeout (ms, default 1000): how long a master may be unreachable before its replica takes
   * over. Production keeps the Redis default (15000); tests and the demo want a failover within seconds.
   */
  nodeTimeoutMs?: number;
  /** Extra `--name value` arguments for every node. */
  args?: string[];
}

/** One node of a local cluster as seen by CLUSTER NODES. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica: the id of its master. */
  masterId: string | undefined;
  /** The node is marked failing (fail or pfail) by the one answering. */
  failing: boolean;
}

/**
 * A real Redis Cluster made of local redis-server child processes (3 masters + 3 replicas by default) on free
 * loopback ports, each with its own data folder, created with `redis-cli --cluster create`. Used by the tests
 * (test/harness useRedisCluster), the benches and `npm run demo -- --cluster`. Nodes can be SIGKILLed and
 * restarted to exercise failover; destroy() kills every node and removes the folders.
 */
export class LocalRedisCluster {
  private constructor(
    readonly nodes: readonly RedisServerProcess[],
    readonly opts: Required<Omit<RedisClusterOptions, 'args'>> & { args: string[] },
  ) {}

  static async start(opts: RedisClusterOptions = {}): Promise<LocalRedisCluster> {
    const cli = redisCliBinary();
    if (!redisServerBinary() || !cli) {
      throw new Error(
        'a local Redis Cluster needs redis-server and redis-cli (apt-get install redis-server redis-tools)',
      );
    }
    const o = {
      masters: opts.masters ?? 3,
      replicasPerMaster: opts.replicasPerMaster ?? 1,
      appendonly: opts.appendonly ?? false,
      nodeTimeoutMs: opts.nodeTimeoutMs ?? 1000,
      args: opts.args ?? [],
    };
    if (o.masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters (asked for ${o.masters})`);
    const count = o.masters * (1 + o.replicasPerMaster);
    const ports = await distinctFreePorts(count);
    const args = [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(o.nodeTimeoutMs),
      // A replica whose master died takes over however long it was disconnected (tests kill at will).
      '--cluster-replica-validity-factor',
      '0',
      // Replicas sync at once (Redis waits 5 s by default to serve several with one diskless dump).
      '--repl-diskless-sync-delay',
      '0',
      ...o.args,
    ];
    const nodes: RedisServerProcess[] = [];
    try {
      for (let port of ports) {
        // A node also listens on port + 10000 (the cluster bus), which freePort did not check: when that
        // one is taken the server exits at once, and the node gets another port.
        for (let attempt = 1; ; attempt++) {
          try {
            nodes.push(await RedisServerProcess.start({ port, appendonly: o.appendonly, args }));
            break;
          } catch (err) {
            if (attempt >= 3) throw err;
            const used = new Set([...ports, ...nodes.map((n) => n.port)]);
            do port = (await distinctFreePorts(1))[0]!;
            while (used.has(port) || used.has(port + 10000) || used.has(port - 10000));
          }
        }
      }
      const cluster = new LocalRedisCluster(nodes, o);
      await cluster.create(cli);
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.destroy()));
      throw err;
    }
  }

  private async create(cli: string): Promise<void> {
    const args = [
      '--cluster',
      'create',
      ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(this.opts.replicasPerMaster),
      '--cluster-yes',
    ];
    const out = await runCommand(cli, args, 60_000);
    if (out.code !== 0)
      throw new Error(`redis-cli --cluster create failed (exit ${out.code}): ${out.output}`);
    await this.waitHealthy(30_000);
  }

  /** `host:port,host:port,...` of every node (REDIS_CLUSTER_NODES). */
  get nodeList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...` (a REDIS_URL naming the cluster). */
  get url(): string {
    return `redis+cluster://${this.nodeList}`;
  }

  /** The node on a port. */
  node(port: number): RedisServerProcess {
    const n = this.nodes.find((x) => x.port === port);
    if (!n) throw new Error(`no node of this cluster listens on port ${port}`);
    return n;
  }

  /** CLUSTER NODES as seen by one running node. */
  async topology(): Promise<ClusterNodeInfo[]> {
    const alive = this.nodes.find((n) => n.running);
    if (!alive) throw new Error('every node of the cluster is down');
    return withClient(alive.port, async (c) => parseClusterNodes(String(await c.call('CLUSTER', 'NODES'))));
  }

  /** The port of the master currently serving `key`'s slot (as the first running node sees it). */
  async masterPortForKey(key: string): Promise<number> {
    const slot = keySlot(key);
    const alive = this.nodes.find((n) => n.running);
    if (!alive) throw new Error('every node of the cluster is down');
    const ranges = (await withClient(alive.port, (c) => c.call('CLUSTER', 'SLOTS'))) as [
      number,
      number,
      [string, number, ...unknown[]],
      ...unknown[],
    ][];
    for (const [from, to, master] of ranges) if (slot >= from && slot <= to) return Number(master[1]);
    throw new Error(`no master serves slot ${slot} of key "${key}"`);
  }

  /** The master serving `key`'s slot. */
  async masterForKey(key: string): Promise<RedisServerProcess> {
    return this.node(await this.masterPortForKey(key));
  }

  /**
   * SIGKILLs the master serving `key`'s slot and waits until one of its replicas has taken the slot over and
   * every running node agrees the cluster is ok again. Returns the killed node (restart() brings it back as a
   * replica of the new master).
   */
  async failMasterOf(key: string, timeoutMs = 30_000): Promise<RedisServerProcess> {
    const old = await this.killMasterOf(key);
    await this.waitForFailover(key, timeoutMs);
    return old;
  }

  /** SIGKILLs the master serving `key`'s slot, without waiting for the failover. */
  async killMasterOf(key: string): Promise<RedisServerProcess> {
    const old = await this.masterForKey(key);
    await old.kill();
    return old;
  }

  /** Waits until a running master serves `key`'s slot, as every running node sees it, and the cluster is ok. */
  async waitForFailover(key: string, timeoutMs = 30_000): Promise<void> {
    await this.waitHealthy(timeoutMs, (port) => this.servedByRunningMaster(port, key));
  }

  /** Whether the node on `port` sees `key`'s slot served by a running master. */
  private async servedByRunningMaster(port: number, key: string): Promise<boolean> {
    const slot = keySlot(key);
    const ranges = (await withClient(port, (c) => c.call('CLUSTER', 'SLOTS'))) as [
      number,
      number,
      [string, number],
    ][];
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
    return owner !== undefined && this.node(Number(owner[2][1])).running;
  }

  /**
   * Waits until every running node reports cluster_state:ok and sees all 16384 slots assigned, no running
   * node thinks a running node is failing, every running replica's link to its master is up, and `extra` (called with each running node's port) holds.
   */
  async waitHealthy(timeoutMs = 30_000, extra?: (port: number) => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const problems: string[] = [];
        const running = this.nodes.filter((n) => n.running);
        const runningPorts = new Set(running.map((n) => n.port));
        for (const n of running) {
          const info = String(await withClient(n.port, (c) => c.call('CLUSTER', 'INFO')));
          if (!/cluster_state:ok/.test(info)) problems.push(`${n.port}: state not ok`);
          if (!/cluster_slots_assigned:16384/.test(info)) problems.push(`${n.port}: slots not all assigned`);
          const nodes = parseClusterNodes(
            String(await withClient(n.port, (c) => c.call('CLUSTER', 'NODES'))),
          );
          for (const x of nodes) {
            if (runningPorts.has(x.port) && x.failing) problems.push(`${n.port} sees ${x.port} failing`);
          }
          if (nodes.length < this.nodes.length) problems.push(`${n.port} knows ${nodes.length} nodes`);
          const repl = String(await withClient(n.port, (c) => c.call('INFO', 'replication')));
          // A replica that has not finished its first sync would take over empty (data loss in tests).
          if (/role:slave/.test(repl) && !/master_link_status:up/.test(repl)) {
            problems.push(`${n.port}: replica not in sync with its master`);
          }
          if (extra && !(await extra(n.port))) problems.push(`${n.port}: condition not met`);
        }
        if (problems.length === 0) return;
        last = problems.join('; ');
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the local Redis Cluster did not become healthy within ${timeoutMs} ms: ${last}`);
  }

  /** Kills every node and removes their data folders. Idempotent. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}

/** Parses CLUSTER NODES output (one line per node: id addr flags master ping pong epoch link slots...). */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const out: ClusterNodeInfo[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    if (parts.length < 8) continue;
    const [id, addr, flags, master] = parts as [string, string, string, string];
    const port = Number(addr.split('@')[0]?.split(':').pop());
    const f = flags.split(',');
    out.push({
      id,
      port,
      role: f.includes('master') ? 'master' : 'replica',
      masterId: master === '-' ? undefined : master,
      failing: f.includes('fail') || f.includes('fail?'),
    });
  }
  return out;
}

async function withClient<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  c.on('error', () => {});
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  // Cluster nodes also listen on port + 10000 (the bus), so that port must be free and valid too.
  while (ports.size < n) {
    const p = await freePort();
    if (p + 10000 <= 65535 && !ports.has(p + 10000) && !ports.has(p - 10000)) ports.add(p);
  }
  return [...ports];
}

function runCommand(
  bin: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const add = (b: Buffer) => {
      output = (output + b.toString()).slice(-8000);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
