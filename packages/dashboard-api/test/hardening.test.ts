import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAnalytics, PerformanceMonitor } from '@wai/metrics-core';
import { ConfigError } from '@wai/metrics-core';
import { LIVE_PROTOCOL, resolveOptions, type DashboardApiOptions } from '../src/index.js';
import { createMapCache, createTestMonitor, mount, openSocket, request, waitFor, type Framework, type Mount } from './helpers.js';

const P = '/api/performance/enhanced';
const TOKEN = 'hardening-token';
const SECRET_KEY = 'http:GET:/api/workshops/search?q=alice%40example.com&limit=5';

/** A cache whose analytics list a key with user data in its query, as the HTTP response cache's keys do. */
function leakyCache() {
  const cache = createMapCache();
  const analytics = cache.getAnalytics.bind(cache);
  cache.getAnalytics = (): CacheAnalytics => ({ ...analytics(), topKeys: [{ key: SECRET_KEY, count: 3 }], accessPatterns: [{ prefix: 'http', requests: 3, hitRate: 0.6 }] });
  return cache;
}

describe.each(['fastify', 'express'] as const)('hardening on %s', (framework: Framework) => {
  let current: Mount | undefined;
  let monitor: PerformanceMonitor | undefined;

  afterEach(async () => {
    await current?.close();
    await monitor?.close();
    current = undefined;
  });

  async function start(options: Partial<DashboardApiOptions>) {
    monitor = createTestMonitor();
    current = await mount(framework, { monitor, cache: leakyCache(), ...options });
    return current;
  }

  it('in production without a token, the WebSocket is not mounted and the page says live is off', async () => {
    const { baseUrl, wsUrl, hub } = await start({ environment: 'production', token: '' });
    const attempt = await openSocket(`${wsUrl}${P}/live`, { protocols: [LIVE_PROTOCOL] }).catch(() => ({ socket: undefined, status: 0, messages: [] }));
    expect(attempt.socket).toBeUndefined();
    // Fastify mounts no route (and no hub); attachLiveUpdates on Express answers the upgrade 404.
    if (framework === 'fastify') expect(hub).toBeUndefined();
    else expect(attempt.status).toBe(404);
    expect(hub?.clientCount ?? 0).toBe(0);
    expect((await request(baseUrl, 'GET', `${P}/`)).text).toContain('"livePath":null');
  });

  it('replaces query values in cache keys of read routes by keyed hashes; the same value gets the same tag', async () => {
    const { baseUrl } = await start({ token: TOKEN });
    const analytics = (await request(baseUrl, 'GET', `${P}/analytics`)).text;
    const dashboard = (await request(baseUrl, 'GET', `${P}/dashboard`)).text;
    for (const text of [analytics, dashboard]) {
      expect(text).not.toContain('alice');
      expect(text).toMatch(/search\?q=~[0-9a-f]{8}&limit=~[0-9a-f]{8}/);
    }
    const tag = (text: string) => /q=(~[0-9a-f]{8})/.exec(text)?.[1];
    expect(tag(analytics)).toBe(tag(dashboard));
  });

  it('showQueryValues: true shows them', async () => {
    const { baseUrl } = await start({ token: TOKEN, showQueryValues: true });
    expect((await request(baseUrl, 'GET', `${P}/analytics`)).text).toContain('q=alice%40example.com');
  });

  it('live frames are redacted too', async () => {
    const { wsUrl } = await start({ token: TOKEN, liveInterval: 50 });
    const client = await openSocket(`${wsUrl}${P}/live`, { headers: { authorization: `Bearer ${TOKEN}` } });
    monitor!.trackEndpoint('/api/workshops/search', 5, 200, 'GET');
    await waitFor(() => client.messages.some((message) => message.type === 'snapshot'));
    expect(JSON.stringify(client.messages)).not.toContain('alice');
    client.socket!.terminate();
  });

  it('refuses cross-origin mutating requests and upgrades without a token; same origin and allowedOrigins pass', async () => {
    const { baseUrl, wsUrl } = await start({ environment: 'development', token: '', allowedOrigins: ['https://ops.example'] });
    const refused = await request(baseUrl, 'POST', `${P}/monitoring/stop`, { headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'E_FORBIDDEN' } });
    expect((await request(baseUrl, 'POST', `${P}/monitoring/stop`, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await request(baseUrl, 'POST', `${P}/monitoring/stop`, { headers: { origin: baseUrl } })).status).toBe(200);
    expect((await request(baseUrl, 'POST', `${P}/monitoring/stop`, { headers: { origin: 'https://ops.example' } })).status).toBe(200);
    expect((await request(baseUrl, 'GET', `${P}/dashboard`, { headers: { origin: 'https://evil.example' } })).status).toBe(200);
    expect((await openSocket(`${wsUrl}${P}/live`, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
  });

  it('refuses a cross-origin request that carries the right token', async () => {
    const { baseUrl } = await start({ token: TOKEN });
    const headers = { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' };
    expect((await request(baseUrl, 'POST', `${P}/cache/invalidate`, { headers, body: { all: true } })).status).toBe(403);
  });
});

describe('hardening options', () => {
  it('refuses allowedOrigins that are not origins', () => {
    const monitor = createTestMonitor();
    expect(() => resolveOptions({ monitor, allowedOrigins: ['evil.example'] })).toThrow(ConfigError);
    expect(() => resolveOptions({ monitor, allowedOrigins: ['https://ops.example/path'] })).toThrow(/allowedOrigins/);
    expect(resolveOptions({ monitor, allowedOrigins: ['https://ops.example'] }).allowedOrigins).toEqual(['https://ops.example']);
    void monitor.close();
  });
});
