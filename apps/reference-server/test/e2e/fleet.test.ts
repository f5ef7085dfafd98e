import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, redisUrl, startTcpProxy, uniquePrefix, type TcpProxy } from '@wai/test-services';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';

/** Short sampling interval, so that publishing, TTL drop-out and rejoining happen within seconds. */
const INTERVAL_MS = 1000;
const ROUTE = '/api/demo/slow';
const FLEET = '/api/performance/enhanced';

interface FleetEndpoint {
  route: string;
  count: number;
  instances: number;
  responseTime: { p50: number; p95: number; p99: number };
}

async function fleetOf(server: ServerProcess): Promise<{ instanceCount: number; endpoints: FleetEndpoint[]; instances: Array<{ id: string; pid: number }> }> {
  const response = await request(`${server.url}${FLEET}/metrics?scope=fleet`);
  expect(response.status).toBe(200);
  return response.body;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `total;dur=` of a response's Server-Timing: the duration the monitor measured for that request. */
function serverTotal(headers: Headers): number {
  const match = /total;dur=([\d.]+)/.exec(headers.get('server-timing') ?? '');
  if (!match) throw new Error(`no Server-Timing total in "${headers.get('server-timing')}"`);
  return Number(match[1]);
}

/** The sample at rank ⌊q·(n−1)⌋: the percentile the monitor's sketches report. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

// Three processes sharing one Redis: each publishes its window, each dashboard answers for the fleet.
describe('the fleet view across three instances', () => {
  const namespace = uniquePrefix('fleet').replace(/:$/, '').replace(/:/g, '-');
  let proxy: TcpProxy;
  let a: ServerProcess;
  let b: ServerProcess;
  let c: ServerProcess;

  beforeAll(async () => {
    const direct = new URL(redisUrl());
    // B reaches Redis through a proxy the test can cut.
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 6379) });
    const env = {
      CACHE_NAMESPACE: namespace,
      PERFORMANCE_MONITORING_INTERVAL: String(INTERVAL_MS),
      CACHE_COMMAND_TIMEOUT_MS: '250',
      DEMO_ROUTES: 'true',
    };
    [a, b, c] = await Promise.all([
      startServer({ env: { ...env, REDIS_URL: redisUrl() } }),
      startServer({ env: { ...env, REDIS_URL: proxy.url } }),
      startServer({ env: { ...env, REDIS_URL: redisUrl() } }),
    ]);
  });

  afterAll(async () => {
    proxy?.restore();
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    for (const server of [a, b, c]) server?.cleanup();
    await proxy?.close();
    const client = new Redis(redisUrl());
    await deleteKeysWithPrefix(client, `{${namespace}}`);
    client.disconnect();
  });

  it('merges one route served with different latencies by each: fleet p50/p95/p99 within 1 % of all samples', async () => {
    const samples: number[] = [];
    // 150, 400 and 900 ms (±20 % jitter in the route) on A, B and C: percentiles no single instance has.
    await Promise.all(
      ([[a, 150], [b, 400], [c, 900]] as const).flatMap(([server, ms]) =>
        Array.from({ length: 40 }, async () => {
          const response = await fetch(`${server.url}${ROUTE}?ms=${ms}`);
          await response.arrayBuffer();
          expect(response.status).toBe(200);
          samples.push(serverTotal(response.headers));
        }),
      ),
    );
    samples.sort((x, y) => x - y);
    const view = await until(
      () => fleetOf(a),
      (fleet) => fleet.endpoints.find((endpoint) => endpoint.route === ROUTE)?.count === samples.length,
      5 * INTERVAL_MS,
    );
    expect(view.instanceCount).toBe(3);
    const route = view.endpoints.find((endpoint) => endpoint.route === ROUTE)!;
    expect(route).toMatchObject({ count: 120, instances: 3 });
    for (const [q, field] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']] as const) {
      const expected = percentile(samples, q);
      const error = Math.abs(route.responseTime[field] - expected) / expected;
      console.log(`[fleet] ${field}: fleet ${route.responseTime[field].toFixed(2)} ms, all samples ${expected.toFixed(2)} ms, error ${(error * 100).toFixed(3)} %`);
      expect(error).toBeLessThanOrEqual(0.01);
    }
    // Any instance answers the same fleet.
    const fromC = (await fleetOf(c)).endpoints.find((endpoint) => endpoint.route === ROUTE)!;
    expect(fromC.count).toBe(120);
    // Each instance's own answer stays its own.
    const own = await request(`${b.url}${FLEET}/metrics`);
    expect(own.body.endpoints.find((endpoint: { route: string }) => endpoint.route === ROUTE).count).toBe(40);
  });

  it('keeps serving the own dashboard of an instance whose Redis is cut, and rejoins it when Redis is back', async () => {
    const bPid = b.child.pid;
    proxy.cut();
    try {
      // Its publishes fail: it leaves the fleet within 2 intervals of its last one.
      const without = await until(() => fleetOf(a), (fleet) => !fleet.instances.some((instance) => instance.pid === bPid), 4 * INTERVAL_MS);
      expect(without.instances.map((instance) => instance.pid)).not.toContain(bPid);
      // Its own dashboard and traffic are unaffected.
      const slow = await request(`${b.url}${ROUTE}?ms=5`);
      expect(slow.status).toBe(200);
      const own = await request(`${b.url}${FLEET}/metrics`);
      expect(own.status).toBe(200);
      expect(own.body.endpoints.find((endpoint: { route: string }) => endpoint.route === ROUTE).count).toBe(41);
      expect((await request(`${b.url}${FLEET}/dashboard`)).status).toBe(200);
      // Its fleet answer is a clear 503, not a crash.
      const fleetFromB = await request(`${b.url}${FLEET}/metrics?scope=fleet`);
      expect(fleetFromB.status).toBe(503);
      expect(fleetFromB.body.error.code).toBe('E_FLEET_UNAVAILABLE');
    } finally {
      proxy.restore();
    }
    const rejoined = await until(() => fleetOf(a), (fleet) => fleet.instances.some((instance) => instance.pid === bPid), 15_000);
    expect(rejoined.instanceCount).toBe(3);
  });

  it('drops an instance that stops within 2 sampling intervals', async () => {
    const cPid = c.child.pid;
    expect((await fleetOf(a)).instances.map((instance) => instance.pid)).toContain(cPid);
    // Killed: no close(), so only the TTL removes it.
    c.child.kill('SIGKILL');
    const killedAt = Date.now();
    await c.stop();
    const view = await until(() => fleetOf(a), (fleet) => !fleet.instances.some((instance) => instance.pid === cPid), 4 * INTERVAL_MS);
    const elapsed = Date.now() - killedAt;
    console.log(`[fleet] a killed instance left the fleet view after ${elapsed} ms (interval ${INTERVAL_MS} ms)`);
    expect(view.instances.map((instance) => instance.pid)).not.toContain(cPid);
    // 2 intervals after its last publish (before the kill), plus one poll.
    expect(elapsed).toBeLessThanOrEqual(2 * INTERVAL_MS + 150);
    expect(view.instanceCount).toBe(2);
  });

  it('removes an instance at once when it shuts down cleanly', async () => {
    const aPid = a.child.pid;
    await a.stop();
    const view = await until(() => fleetOf(b), (fleet) => !fleet.instances.some((instance) => instance.pid === aPid), 2 * INTERVAL_MS);
    expect(view.instances.map((instance) => instance.pid)).not.toContain(aPid);
    expect(view.instanceCount).toBe(1);
  });
});
