import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PerformanceMonitor } from '@wai/metrics-core';
import { BEARER_PROTOCOL_PREFIX, LIVE_PROTOCOL, type DashboardApiOptions } from '../src/index.js';
import { createTestMonitor, mount, openSocket, waitFor, type Framework, type Mount } from './helpers.js';

const LIVE = '/api/performance/enhanced/live';
const TOKEN = 'live-token';

describe.each(['fastify', 'express'] as const)('live updates on %s', (framework: Framework) => {
  let current: Mount | undefined;
  let monitor: PerformanceMonitor | undefined;
  const sockets: WebSocket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await current?.close();
    await monitor?.close();
    current = undefined;
  });

  async function start(options: Partial<DashboardApiOptions> = {}) {
    monitor = createTestMonitor();
    current = await mount(framework, { monitor, token: TOKEN, ...options });
    return current;
  }

  async function open(url: string, options: Parameters<typeof openSocket>[1] = {}) {
    const result = await openSocket(url, options);
    if (result.socket) sockets.push(result.socket);
    return result;
  }

  it('refuses an upgrade without the token (401) or with a wrong one', async () => {
    const { wsUrl } = await start();
    expect((await open(`${wsUrl}${LIVE}`)).status).toBe(401);
    expect((await open(`${wsUrl}${LIVE}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await open(`${wsUrl}${LIVE}`, { protocols: [LIVE_PROTOCOL, `${BEARER_PROTOCOL_PREFIX}${Buffer.from('nope').toString('base64url')}`] })).status).toBe(401);
    expect(current!.hub!.clientCount).toBe(0);
  });

  it('accepts the token as a header or as the browser subprotocol, then pushes hello and snapshots', async () => {
    const { wsUrl } = await start({ liveInterval: 50 });
    const byHeader = await open(`${wsUrl}${LIVE}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const byProtocol = await open(`${wsUrl}${LIVE}`, { protocols: [LIVE_PROTOCOL, `${BEARER_PROTOCOL_PREFIX}${Buffer.from(TOKEN).toString('base64url')}`] });
    expect(byProtocol.socket!.protocol).toBe(LIVE_PROTOCOL); // the bearer entry is never echoed back
    monitor!.trackEndpoint('/api/workshops/:id', 12, 200, 'GET');
    await waitFor(() => byHeader.messages.filter((m) => m.type === 'snapshot').length >= 3);
    expect(byHeader.messages[0]).toMatchObject({ type: 'hello', interval: 50 });
    const last = byHeader.messages.filter((m) => m.type === 'snapshot').at(-1) as { requestCount: number; endpoints: Array<{ route: string }> };
    expect(last.requestCount).toBe(1);
    expect(last.endpoints[0]!.route).toBe('/api/workshops/:id');
    await waitFor(() => byProtocol.messages.some((m) => m.type === 'snapshot'));
  });

  it('pushes alerts as they fire and as they resolve', async () => {
    const { wsUrl } = await start();
    const client = await open(`${wsUrl}${LIVE}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    for (let i = 0; i < 20; i += 1) monitor!.trackEndpoint('/api/slow', 2000, 200, 'GET');
    await monitor!.sample();
    await waitFor(() => client.messages.some((m) => m.type === 'alert'));
    const fired = client.messages.find((m) => m.type === 'alert') as { alert: { type: string; state: string } };
    expect(fired.alert).toMatchObject({ type: 'response_time', state: 'firing' });
    // Removing the rule resolves its alerts: the resolution is pushed too.
    monitor!.removeAlertRule('response_time');
    await waitFor(() => client.messages.some((m) => m.type === 'alert:resolved'));
    const resolved = client.messages.find((m) => m.type === 'alert:resolved') as { alert: { state: string; resolvedAt?: number } };
    expect(resolved.alert.state).toBe('resolved');
    expect(resolved.alert.resolvedAt).toBeGreaterThan(0);
  });

  it('refuses clients beyond maxClients with 503', async () => {
    const { wsUrl } = await start({ maxClients: 2 });
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await open(`${wsUrl}${LIVE}`, { headers })).socket).toBeDefined();
    expect((await open(`${wsUrl}${LIVE}`, { headers })).socket).toBeDefined();
    expect((await open(`${wsUrl}${LIVE}`, { headers })).status).toBe(503);
    expect(current!.hub!.stats().refused).toBe(1);
  });

  it('drops a client that stops answering pings', async () => {
    const { wsUrl } = await start({ heartbeatInterval: 50 });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const healthy = await open(`${wsUrl}${LIVE}`, { headers });
    const dead = await open(`${wsUrl}${LIVE}`, { headers, autoPong: false });
    let deadClosed = false;
    dead.socket!.on('close', () => {
      deadClosed = true;
    });
    await waitFor(() => deadClosed, 3000);
    expect(current!.hub!.stats().dropped).toBe(1);
    expect(current!.hub!.clientCount).toBe(1);
    expect(healthy.socket!.readyState).toBe(WebSocket.OPEN);
  });

  it('a slow client skips frames instead of growing the send buffer, while a fast one gets them all', async () => {
    const cap = 256 * 1024;
    const { wsUrl } = await start({ maxBufferedBytes: cap });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const fast = await open(`${wsUrl}${LIVE}`, { headers });
    const slow = await open(`${wsUrl}${LIVE}`, { headers });
    await waitFor(() => fast.messages.length >= 2 && slow.messages.length >= 2);
    // Stop reading on the slow client: the kernel buffers fill, then the server's ws buffer.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const frame = { type: 'bulk', payload: 'x'.repeat(256 * 1024) };
    const hub = current!.hub!;
    let skipped = 0;
    const bulkReceived = () => fast.messages.filter((m) => m.type === 'bulk').length;
    for (let i = 0; i < 120; i += 1) {
      skipped += hub.broadcast({ ...frame, i }).skipped;
      // Paced by the fast client, so "fast" holds on a loaded machine too: a reader that keeps up never
      // reaches the cap, while the paused one fills its buffers and has frames skipped.
      await waitFor(() => bulkReceived() === i + 1, 10_000);
    }
    expect(skipped).toBeGreaterThan(0);
    expect(hub.stats().framesSkipped).toBeGreaterThanOrEqual(skipped);
    expect(bulkReceived()).toBe(120);
  });

  it('closes live clients when the server closes', async () => {
    const { wsUrl } = await start();
    const client = await open(`${wsUrl}${LIVE}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const closed = new Promise<number>((resolve) => client.socket!.once('close', (code) => resolve(code)));
    await current!.close();
    current = undefined;
    expect(await closed).toBe(1001);
  });
});

describe('Fastify app that already registered @fastify/websocket', () => {
  it('reuses it for live updates', async () => {
    const Fastify = (await import('fastify')).default;
    const websocket = (await import('@fastify/websocket')).default;
    const { dashboardApi } = await import('../src/index.js');
    const monitor = createTestMonitor();
    const app = Fastify();
    await app.register(websocket);
    app.get('/app-socket', { websocket: true }, (socket) => socket.send('mine'));
    await app.register(dashboardApi, { monitor, token: TOKEN });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    try {
      const live = await openSocket(`ws://127.0.0.1:${port}${LIVE}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await waitFor(() => live.messages.some((m) => m.type === 'snapshot'));
      live.socket!.terminate();
      const own = await new Promise<string>((resolve) => new WebSocket(`ws://127.0.0.1:${port}/app-socket`).once('message', (data) => resolve(String(data))));
      expect(own).toBe('mine');
    } finally {
      await app.close();
      await monitor.close();
    }
  });
});
