import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerformanceMonitor } from '@wai/metrics-core';
import { createFleetPublisher, createFleetReader, type FleetPublisher } from '@wai/metrics-core/fleet';
import { deleteKeysWithPrefix, testRedis } from '@wai/test-services';
import { resolveOptions } from '../src/index.js';
import { createTestMonitor, mount, openSocket, request, waitFor, type Framework } from './helpers.js';

const PREFIX = '/api/performance/enhanced';

describe.each<Framework>(['fastify', 'express'])('scope=fleet on %s', (framework) => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let namespace: string;
  let monitors: PerformanceMonitor[];
  let publishers: FleetPublisher[];

  beforeAll(async () => {
    redis = await testRedis('dashboard-fleet');
    namespace = redis.prefix.replace(/:$/, '');
    monitors = [createTestMonitor(), createTestMonitor()];
    monitors[0]!.trackEndpoint('/api/workshops/:id', 10, 200, 'GET');
    monitors[1]!.trackEndpoint('/api/workshops/:id', 30, 500, 'GET');
    monitors[1]!.trackEndpoint('/api/users', 5, 200, 'GET');
    publishers = monitors.map((monitor, index) => createFleetPublisher({ monitor, redis: redis.client, namespace, instanceId: `${framework}-${index}`, autoStart: false }));
    await Promise.all(publishers.map((publisher) => publisher.publish()));
  });

  afterAll(async () => {
    await Promise.all(publishers.map((publisher) => publisher.close()));
    await Promise.all(monitors.map((monitor) => monitor.close()));
    await deleteKeysWithPrefix(redis.client, `{${namespace}}`);
    await redis.close();
  });

  it('answers the fleet on metrics, analytics, dashboard and health, and this instance by default', async () => {
    const fleet = createFleetReader({ redis: redis.client, namespace, cacheMs: 0 });
    const app = await mount(framework, { monitor: monitors[0]!, fleet, live: false });
    try {
      const metrics = await request(app.baseUrl, 'GET', `${PREFIX}/metrics?scope=fleet`);
      expect(metrics.status).toBe(200);
      expect(metrics.json).toMatchObject({ scope: 'fleet', instanceCount: 2, requestCount: 3, errorCount: 1 });
      const endpoints = (metrics.json as { endpoints: Array<{ route: string; count: number; instances: number }> }).endpoints;
      expect(endpoints[0]).toMatchObject({ route: '/api/workshops/:id', count: 2, instances: 2 });

      const own = await request(app.baseUrl, 'GET', `${PREFIX}/metrics`);
      expect(own.json).toMatchObject({ requestCount: 1 });
      expect((own.json as { scope?: string }).scope).toBeUndefined();
      expect((await request(app.baseUrl, 'GET', `${PREFIX}/metrics?scope=instance`)).json).toMatchObject({ requestCount: 1 });

      const drill = await request(app.baseUrl, 'GET', `${PREFIX}/metrics?scope=fleet&instance=${framework}-1`);
      expect(drill.json).toMatchObject({ instance: `${framework}-1`, requestCount: 2 });

      const health = await request(app.baseUrl, 'GET', `${PREFIX}/health?scope=fleet`);
      expect(health.status).toBe(200);
      expect(health.json).toMatchObject({ scope: 'fleet', instanceCount: 2 });
      expect((health.json as { instances: Array<{ id: string }> }).instances.map((instance) => instance.id)).toEqual([`${framework}-0`, `${framework}-1`]);

      const dashboard = await request(app.baseUrl, 'GET', `${PREFIX}/dashboard?scope=fleet`);
      expect(dashboard.json).toMatchObject({ scope: 'fleet', overview: { instanceCount: 2 }, keyMetrics: { errorRate: 0.3333 } });
      const analytics = await request(app.baseUrl, 'GET', `${PREFIX}/analytics?scope=fleet`);
      expect((analytics.json as { endpoints: unknown[] }).endpoints).toHaveLength(2);
    } finally {
      await app.close();
    }
  });

  it('refuses a bad scope or a stray instance with 400, an unknown instance with 404', async () => {
    const fleet = createFleetReader({ redis: redis.client, namespace, cacheMs: 0 });
    const app = await mount(framework, { monitor: monitors[0]!, fleet, live: false });
    try {
      const bad = await request(app.baseUrl, 'GET', `${PREFIX}/metrics?scope=everything`);
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ error: { code: 'E_VALIDATION', message: expect.stringContaining('scope') } });
      const stray = await request(app.baseUrl, 'GET', `${PREFIX}/health?instance=${framework}-0`);
      expect(stray.status).toBe(400);
      expect(stray.json).toMatchObject({ error: { code: 'E_VALIDATION' } });
      const unknown = await request(app.baseUrl, 'GET', `${PREFIX}/metrics?scope=fleet&instance=gone`);
      expect(unknown.status).toBe(404);
      expect(unknown.json).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    } finally {
      await app.close();
    }
  });

  it('answers 404 with a clear message for scope=fleet when no fleet is configured', async () => {
    const app = await mount(framework, { monitor: monitors[0]!, live: false });
    try {
      for (const route of ['metrics', 'health', 'dashboard', 'analytics']) {
        const response = await request(app.baseUrl, 'GET', `${PREFIX}/${route}?scope=fleet`);
        expect(response.status).toBe(404);
        expect(response.json).toMatchObject({ error: { code: 'E_NOT_FOUND', message: expect.stringContaining('no fleet is configured') } });
      }
      expect((await request(app.baseUrl, 'GET', `${PREFIX}/health`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('keeps health public for this instance but asks for read access for the fleet', async () => {
    const fleet = createFleetReader({ redis: redis.client, namespace, cacheMs: 0 });
    const app = await mount(framework, { monitor: monitors[0]!, fleet, live: false, token: 'fleet-reader-token', publicReads: false });
    try {
      expect((await request(app.baseUrl, 'GET', `${PREFIX}/health`)).status).toBe(200);
      const anonymous = await request(app.baseUrl, 'GET', `${PREFIX}/health?scope=fleet`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.json).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
      const authorized = await request(app.baseUrl, 'GET', `${PREFIX}/health?scope=fleet`, { headers: { authorization: 'Bearer fleet-reader-token' } });
      expect(authorized.status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('pushes a fleet frame over the WebSocket', async () => {
    const fleet = createFleetReader({ redis: redis.client, namespace, cacheMs: 0 });
    const app = await mount(framework, { monitor: monitors[0]!, fleet, token: 'secret-token-for-fleet', liveInterval: 50 });
    try {
      const client = await openSocket(`${app.wsUrl}${PREFIX}/live`, { headers: { authorization: 'Bearer secret-token-for-fleet' } });
      await waitFor(() => client.messages.filter((message) => message.type === 'fleet').length >= 2);
      const frame = client.messages.find((message) => message.type === 'fleet') as { instanceCount: number; requestCount: number; instances: Array<{ id: string }>; endpoints: Array<{ instances: number }> };
      expect(frame.instanceCount).toBe(2);
      expect(frame.requestCount).toBe(3);
      expect(frame.instances).toHaveLength(2);
      expect(frame.endpoints[0]!.instances).toBe(2);
      client.socket!.close();
    } finally {
      await app.close();
    }
  });
});

describe('a fleet that cannot be read', () => {
  it('sends an unavailable fleet frame and keeps the instance frames and routes going', async () => {
    const monitor = createTestMonitor();
    // Our own FleetSource contract, failing as the reader does when Redis does not answer.
    const fleet = { read: () => Promise.reject(Object.assign(new Error('[wai:metrics-core] the fleet view needs Redis'), { code: 'E_FLEET_UNAVAILABLE', statusCode: 503 })) };
    const app = await mount('fastify', { monitor, fleet, token: 'unavailable-fleet-token', liveInterval: 50 });
    try {
      const client = await openSocket(`${app.wsUrl}${PREFIX}/live`, { headers: { authorization: 'Bearer unavailable-fleet-token' } });
      await waitFor(() => client.messages.some((message) => message.type === 'fleet') && client.messages.filter((message) => message.type === 'snapshot').length >= 2);
      expect(client.messages.find((message) => message.type === 'fleet')).toEqual({ type: 'fleet', available: false, error: { code: 'E_FLEET_UNAVAILABLE', message: '[wai:metrics-core] the fleet view needs Redis' } });
      expect((await request(app.baseUrl, 'GET', `${PREFIX}/metrics`)).status).toBe(200);
      client.socket!.close();
    } finally {
      await app.close();
      await monitor.close();
    }
  });

  it('refuses a fleet option without read()', () => {
    expect(() => resolveOptions({ monitor: createTestMonitor(), fleet: {} as never })).toThrow(/option `fleet`/);
  });
});
