import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, mulberry32, redisUrl, startRedisCluster, startTcpProxy, uniquePrefix, type RedisClusterHandle } from '@wai/test-services';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from '../monitor/performance-monitor.js';
import { DEFAULT_RELATIVE_ACCURACY, QuantileSketch } from '../monitor/quantile-sketch.js';
import { createFleetPublisher, createFleetReader, decodeBuckets, encodeBuckets, fleetKeys } from './index.js';

const ALPHA = DEFAULT_RELATIVE_ACCURACY;

/** The sample at rank ⌊q·(n−1)⌋ of all values: what the sketch's quantile approximates within α. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('sketch encoding', () => {
  it('round-trips bucket counts exactly, negative offsets, zero runs and large counts included', () => {
    const random = mulberry32(7);
    const sketch = new QuantileSketch();
    for (let i = 0; i < 20_000; i++) sketch.add(random() < 0.5 ? 0.01 + random() : 200 + random() * 5000);
    for (let i = 0; i < 5; i++) sketch.add(0);
    const buckets = sketch.exportBuckets();
    expect(buckets.offset).toBeLessThan(0);
    const decoded = decodeBuckets(encodeBuckets(buckets));
    expect(decoded.offset).toBe(buckets.offset);
    expect(decoded.zeroCount).toBe(5);
    expect(Array.from(decoded.counts)).toEqual(Array.from(buckets.counts));
    const big = decodeBuckets(encodeBuckets({ offset: 3, zeroCount: 0, counts: [4_000_000_000, 0, 0, 1] }));
    expect([...big.counts]).toEqual([4_000_000_000, 0, 0, 1]);
  });

  it('refuses a truncated value', () => {
    const text = encodeBuckets({ offset: 10, zeroCount: 0, counts: [300, 300] });
    expect(() => decodeBuckets(text.slice(0, 4))).toThrow(RangeError);
  });

  it('merges decoded sketches into the same buckets as one sketch fed every sample', () => {
    const random = mulberry32(11);
    const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
    const all = new QuantileSketch();
    parts.forEach((part, index) => {
      for (let i = 0; i < 5000; i++) {
        const value = (index + 1) * 40 * (0.5 + random());
        part.add(value);
        all.add(value);
      }
    });
    const merged = new QuantileSketch();
    for (const part of parts) {
      const buckets = part.exportBuckets();
      const decoded = decodeBuckets(encodeBuckets(buckets));
      merged.addBuckets({ ...buckets, ...decoded });
    }
    for (const q of [0.5, 0.95, 0.99]) expect(merged.quantile(q)).toBe(all.quantile(q));
    expect(merged.count).toBe(all.count);
  });
});

describe('fleet through Redis', () => {
  const prefix = uniquePrefix('fleet');
  const namespace = prefix.replace(/:$/, '');
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, `{${namespace}}`);
    redis.disconnect();
  });

  it('merges three instances: fleet p50/p95/p99 within α of the percentiles of all their samples', async () => {
    const clock = createFakeClock(1_800_000_000_000);
    const random = mulberry32(3);
    const samples: number[] = [];
    const monitors = [0, 1, 2].map(() => createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false }));
    monitors.forEach((monitor, index) => {
      for (let i = 0; i < 3000; i++) {
        // Three different latency profiles on one route.
        const value = [20, 80, 400][index]! * (0.6 + random() * 0.8);
        samples.push(value);
        monitor.trackEndpoint('/api/items/:id', value, i % 50 === 0 ? 500 : 200, 'GET');
      }
      monitor.trackEndpoint(`/only/${index}`, 5, 200, 'GET');
    });
    const ns = `${namespace}-merge`;
    const publishers = monitors.map((monitor, index) =>
      createFleetPublisher({ monitor, redis, namespace: ns, interval: 1000, clock, instanceId: `node-${index}`, autoStart: false }),
    );
    try {
      expect(await Promise.all(publishers.map((publisher) => publisher.publish()))).toEqual([true, true, true]);
      const view = await createFleetReader({ redis, namespace: ns, clock, cacheMs: 0 }).read();
      expect(view.instanceCount).toBe(3);
      expect(view.instances.map((instance) => instance.id)).toEqual(['node-0', 'node-1', 'node-2']);
      const route = view.endpoints.find((endpoint) => endpoint.route === '/api/items/:id')!;
      expect(route.count).toBe(9000);
      expect(route.errors).toBe(180);
      expect(route.instances).toBe(3);
      samples.sort((a, b) => a - b);
      for (const [q, field] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']] as const) {
        const exact = exactQuantile(samples, q);
        expect(Math.abs(route.responseTime[field] - exact) / exact).toBeLessThanOrEqual(ALPHA);
      }
      expect(view.requestCount).toBe(9003);
      expect(view.errorCount).toBe(180);
      expect(view.endpoints).toHaveLength(4);
      const drill = await createFleetReader({ redis, namespace: ns, clock, cacheMs: 0 }).read({ instance: 'node-2' });
      expect(drill.instance).toBe('node-2');
      expect(drill.requestCount).toBe(3001);
      await expect(createFleetReader({ redis, namespace: ns, clock }).read({ instance: 'nope' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', statusCode: 404 });
    } finally {
      await Promise.all(publishers.map((publisher) => publisher.close()));
      await Promise.all(monitors.map((monitor) => monitor.close()));
    }
  });

  it('drops an instance that stops publishing within 2 intervals (injected clock), and removes one on close()', async () => {
    const clock = createFakeClock(1_800_000_000_000);
    const ns = `${namespace}-ttl`;
    const monitors = [createPerformanceMonitor({ clock, systemMetrics: false }), createPerformanceMonitor({ clock, systemMetrics: false })];
    const [a, b] = monitors.map((monitor, index) => createFleetPublisher({ monitor, redis, namespace: ns, interval: 1000, clock, instanceId: `i-${index}` })) as [
      ReturnType<typeof createFleetPublisher>,
      ReturnType<typeof createFleetPublisher>,
    ];
    const reader = createFleetReader({ redis, namespace: ns, clock, cacheMs: 0 });
    const settle = async () => {
      // Publishes started by timers: wait for them to reach Redis.
      await Promise.all([a.publish(), b.publish()]);
    };
    try {
      await settle();
      expect(await reader.instanceIds()).toEqual(['i-0', 'i-1']);
      b.stop(); // b dies without close()
      clock.advance(1000);
      await a.publish();
      expect((await reader.instanceIds()).sort()).toEqual(['i-0', 'i-1']);
      clock.advance(1001); // more than 2 intervals since b's last publish
      await a.publish();
      expect(await reader.instanceIds()).toEqual(['i-0']);
      // A publisher's own timers are unref()'d and cancelled by close(), which removes its entry.
      await a.close();
      expect(await reader.instanceIds()).toEqual([]);
      expect(await redis.exists(fleetKeys(ns).instance('i-0'))).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await Promise.all(monitors.map((monitor) => monitor.close()));
    }
  });

  it('publishes 2,000 route series within the caps and folds the rest into __overflow__ with exact totals', async () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false, maxSeries: 3000 });
    for (let r = 0; r < 2500; r++) for (let i = 0; i <= (r % 7); i++) monitor.trackEndpoint(`/r/${r}`, 1 + ((r * 13 + i) % 300), 200, 'GET');
    const ns = `${namespace}-caps`;
    const publisher = createFleetPublisher({ monitor, redis, namespace: ns, instanceId: 'big', autoStart: false });
    const small = createFleetPublisher({ monitor, redis, namespace: `${ns}-small`, instanceId: 'small', autoStart: false, maxPayloadBytes: 64 * 1024 });
    try {
      expect(await publisher.publish()).toBe(true);
      expect(publisher.stats().lastFolded).toBe(500);
      expect(publisher.stats().lastBytes).toBeLessThan(4 * 1024 * 1024);
      const view = await createFleetReader({ redis, namespace: ns, cacheMs: 0 }).read();
      expect(view.endpoints).toHaveLength(2001);
      expect(view.endpoints.find((endpoint) => endpoint.route === '__overflow__')).toBeDefined();
      expect(view.requestCount).toBe(monitor.getCurrentMetrics().requestCount);
      expect(await small.publish()).toBe(true);
      expect(small.stats().lastBytes).toBeLessThanOrEqual(64 * 1024);
      const smallView = await createFleetReader({ redis, namespace: `${ns}-small`, cacheMs: 0 }).read();
      expect(smallView.requestCount).toBe(view.requestCount);
      expect(smallView.endpoints.length).toBeLessThan(2001);
    } finally {
      await publisher.close();
      await small.close();
      await monitor.close();
    }
  });

  it('keeps the monitor working while Redis is cut, and rejoins when it is back', async () => {
    const direct = new URL(redisUrl());
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 6379) });
    const client = new Redis(proxy.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 200 });
    client.on('error', () => {});
    const monitor = createPerformanceMonitor({ systemMetrics: false });
    const ns = `${namespace}-cut`;
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (entry: unknown) => void warnings.push(entry), error() {} };
    const publisher = createFleetPublisher({ monitor, redis: client, namespace: ns, instanceId: 'cut', autoStart: false, timeout: 500, logger });
    const reader = createFleetReader({ redis, namespace: ns, cacheMs: 0 });
    try {
      await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
      expect(await publisher.publish()).toBe(true);
      proxy.cut();
      expect(await publisher.publish()).toBe(false);
      expect(await publisher.publish()).toBe(false);
      expect(warnings).toHaveLength(1);
      monitor.trackEndpoint('/still', 3, 200);
      expect(monitor.getCurrentMetrics().requestCount).toBe(1);
      await expect(createFleetReader({ redis: client, namespace: ns, cacheMs: 0 }).read()).rejects.toMatchObject({ code: 'E_FLEET_UNAVAILABLE', statusCode: 503 });
      proxy.restore();
      let rejoined = false;
      for (let attempt = 0; attempt < 50 && !rejoined; attempt++) {
        rejoined = await publisher.publish();
        if (!rejoined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(rejoined).toBe(true);
      expect((await reader.read()).requestCount).toBe(1);
    } finally {
      proxy.restore();
      await publisher.close();
      await monitor.close();
      client.disconnect();
      await proxy.close();
    }
  });

  it('leaves out a corrupt value whole instead of failing the view', async () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false });
    monitor.trackEndpoint('/ok', 10, 200);
    const ns = `${namespace}-corrupt`;
    const keys = fleetKeys(ns);
    const publisher = createFleetPublisher({ monitor, redis, namespace: ns, instanceId: 'good', autoStart: false });
    try {
      await publisher.publish();
      const good = JSON.parse((await redis.get(keys.instance('good')))!) as { routes: unknown[][] };
      // Same shape, but the buckets do not add up to the count; and a value that is not a payload at all.
      const bad = { ...good, id: 'bad', routes: good.routes.map((row) => [...row.slice(0, 8), 'AAEBAQ==']) };
      const expiresAt = Date.now() + 60_000;
      await redis.set(keys.instance('bad'), JSON.stringify(bad), 'PX', 60_000);
      await redis.set(keys.instance('junk'), '{"v":1,"routes":"nope"', 'PX', 60_000);
      await redis.zadd(keys.index, expiresAt, 'bad', expiresAt, 'junk');
      const view = await createFleetReader({ redis, namespace: ns, cacheMs: 0 }).read();
      expect(view.unreadable).toEqual(['bad']);
      expect(view.instances.map((instance) => instance.id)).toEqual(['good']);
      expect(view.requestCount).toBe(1);
    } finally {
      await publisher.close();
      await monitor.close();
    }
  });

  it('refuses bad options with ConfigError naming the option', () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false });
    expect(() => createFleetPublisher({ monitor, redis, interval: -1 })).toThrow(/interval/);
    expect(() => createFleetPublisher({ monitor, redis, namespace: 'a{b}' })).toThrow(/namespace/);
    expect(() => createFleetPublisher({ monitor, redis, instanceId: 'has space' })).toThrow(/instanceId/);
    expect(() => createFleetReader({ redis, maxInstances: 0 })).toThrow(/maxInstances/);
    expect(() => createFleetPublisher({ redis } as never)).toThrow(/monitor/);
    void monitor.close();
  });
});

describe('fleet on Redis Cluster', () => {
  it('publishes and reads several instances without CROSSSLOT errors (every key carries the {namespace} hash tag)', async () => {
    const cluster: RedisClusterHandle = await startRedisCluster();
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    const monitors = [1, 2, 3].map((factor) => {
      const monitor = createPerformanceMonitor({ systemMetrics: false });
      monitor.trackEndpoint('/shared', 10 * factor, 200);
      return monitor;
    });
    // Ids chosen so that, without the hash tag, their keys would fall in different slots.
    const publishers = monitors.map((monitor, index) => createFleetPublisher({ monitor, redis: client, namespace: 'cluster-fleet', instanceId: `node-${index}-${'x'.repeat(index)}`, autoStart: false }));
    try {
      expect(await Promise.all(publishers.map((publisher) => publisher.publish()))).toEqual([true, true, true]);
      const view = await createFleetReader({ redis: client, namespace: 'cluster-fleet', cacheMs: 0 }).read();
      expect(view.instanceCount).toBe(3);
      expect(view.endpoints[0]).toMatchObject({ route: '/shared', count: 3, instances: 3 });
    } finally {
      await Promise.all(publishers.map((publisher) => publisher.close()));
      await Promise.all(monitors.map((monitor) => monitor.close()));
      client.disconnect();
      await cluster.close();
    }
  }, 40_000);
});
