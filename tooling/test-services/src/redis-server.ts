import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

export interface RedisServerHandle {
  port: number;
  url: string;
  /** Kills the process (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') {
        client.disconnect();
        return;
      }
    } catch {
      // not up yet
    }
    client.disconnect();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`[wai:test-services] redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

/**
 * Starts a throwaway `redis-server` on a free loopback port with persistence off. Used when no `REDIS_URL`
 * is given and by fault tests that need a server they may kill.
 */
export async function startRedisServer(extraArgs: string[] = []): Promise<RedisServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wai-redis-'));
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: 'ignore' });
    child.unref();
    await waitForPing(port, 10_000);
  };
  const stop = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return resolve();
      current.once('exit', () => resolve());
      // Unref'd while it runs (it must not keep a test process alive); held while we wait for its exit, or a
      // script awaiting close() would find its event loop empty and end right there, with exit code 0.
      current.ref();
      current.kill(signal);
    });
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => stop('SIGKILL'),
    restart: launch,
    close: async () => {
      await stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisClusterHandle {
  nodes: Array<{ host: string; port: number }>;
  close(): Promise<void>;
}

/** Starts a 3-master Redis Cluster on free loopback ports (`--cluster-enabled yes` ×3 + `redis-cli --cluster create`). */
export async function startRedisCluster(size = 3): Promise<RedisClusterHandle> {
  const servers: RedisServerHandle[] = [];
  for (let i = 0; i < size; i++) {
    servers.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000']));
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) {
    await Promise.all(servers.map((s) => s.close()));
    throw new Error(`[wai:test-services] redis-cli --cluster create failed: ${create.stderr || create.stdout}`);
  }
  // The cluster reports ok only once every node has agreed on the slot map.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = spawnSync('redis-cli', ['-p', String(servers[0]!.port), 'cluster', 'info'], { encoding: 'utf8' });
    if (info.stdout.includes('cluster_state:ok')) break;
    if (Date.now() > deadline) throw new Error('[wai:test-services] redis cluster did not reach cluster_state:ok');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
