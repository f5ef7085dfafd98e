import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from '../monitor/performance-monitor.js';
import { createAlertDelivery } from './alert-delivery.js';
import { createWebhookSink, verifyWebhookSignature, type WebhookBody } from './webhook-sink.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  answered: number;
}

/** A real HTTP receiver that answers `statuses` in turn (then 200), or hangs for `hangMs` first. */
async function startReceiver(statuses: number[], hangMs = 0): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const status = statuses.shift() ?? 200;
      received.push({ headers: request.headers, body, answered: status });
      const answer = () => response.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end(status === 200 ? 'ok' : 'not now');
      if (hangMs > 0 && received.length === 1) setTimeout(answer, hangMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/wai?token=abc`, received, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function monitorWithErrors() {
  const clock = createFakeClock(Date.now());
  const monitor = createPerformanceMonitor({ clock, systemMetrics: false, thresholds: { errorRate: 0.05, forMs: 0 } });
  cleanup.push(() => monitor.close());
  const raise = async () => {
    for (let i = 0; i < 20; i++) monitor.trackEndpoint('/api/orders', 12, i % 4 === 0 ? 503 : 200, 'POST');
    await monitor.sample();
  };
  const recover = async () => {
    clock.advance(70_000);
    for (let i = 0; i < 20; i++) monitor.trackEndpoint('/api/orders', 12, 200, 'POST');
    await monitor.sample();
  };
  return { monitor, raise, recover };
}

describe('webhook sink', () => {
  it('retries with backoff through failed first attempts and delivers one signed JSON body per alert state', async () => {
    const receiver = await startReceiver([503, 500]);
    cleanup.push(receiver.close);
    const { monitor, raise, recover } = monitorWithErrors();
    const secret = 'swordfish';
    const delivery = createAlertDelivery({
      monitor,
      sinks: [createWebhookSink({ url: receiver.url, secret, instance: 'api-2' })],
      retry: { initialDelayMs: 40, maxDelayMs: 200 },
    });
    cleanup.push(() => delivery.close());
    const started = Date.now();
    await raise();
    expect(await delivery.flush()).toBe(true);
    // Two failures: the backoff waited at least half of 40 ms, then half of 80 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    // Two alerts fire (the global and the route error rate): the first is retried twice, then both go through.
    expect(receiver.received.map((r) => r.answered)).toEqual([503, 500, 200, 200]);
    await recover();
    expect(await delivery.flush()).toBe(true);

    const ok = receiver.received.filter((r) => r.answered === 200);
    const bodies = ok.map((r) => JSON.parse(r.body) as WebhookBody);
    const errorRate = bodies.filter((b) => b.alert.id === 'error_rate:global');
    expect(errorRate.map((b) => b.status)).toEqual(['firing', 'resolved']);
    expect(errorRate[0]).toMatchObject({ version: 1, instance: 'api-2', alert: { type: 'error_rate', severity: 'critical', state: 'firing' } });
    expect(errorRate[0]!.text).toMatch(/^\[FIRING\] critical error_rate on api-2: /);
    expect(errorRate[1]!.alert.resolvedAt).toBeGreaterThan(errorRate[1]!.alert.startedAt);
    // The three attempts of the first event carry one delivery id, so a receiver can drop repeats.
    const first = receiver.received.slice(0, 3).map((r) => r.headers['x-wai-delivery']);
    expect(new Set(first).size).toBe(1);
    for (const request of receiver.received) {
      expect(request.headers['content-type']).toBe('application/json');
      const input = { secret, body: request.body, timestamp: request.headers['x-wai-timestamp'] as string, signature: request.headers['x-wai-signature-256'] as string };
      expect(verifyWebhookSignature(input)).toBe(true);
      expect(verifyWebhookSignature({ ...input, secret: 'wrong' })).toBe(false);
      expect(verifyWebhookSignature({ ...input, body: `${request.body} ` })).toBe(false);
      expect(verifyWebhookSignature({ ...input, now: Date.now() + 3_600_000 })).toBe(false);
    }
    expect(delivery.stats()[0]).toMatchObject({ retries: 2, failed: 0, dropped: 0, queued: 0 });
  });

  it('aborts an attempt that exceeds timeoutMs and retries it', async () => {
    const receiver = await startReceiver([], 1000);
    cleanup.push(receiver.close);
    const { monitor, raise } = monitorWithErrors();
    const delivery = createAlertDelivery({ monitor, sinks: [createWebhookSink({ url: receiver.url })], timeoutMs: 150, retry: { initialDelayMs: 20, maxDelayMs: 40 } });
    cleanup.push(() => delivery.close());
    await raise();
    expect(await delivery.flush(5000)).toBe(true);
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(delivery.stats()[0]!.retries).toBeGreaterThanOrEqual(1);
    expect(delivery.stats()[0]!.lastError).toMatch(/timed out/);
    expect(receiver.received[0]!.headers['x-wai-signature-256']).toBeUndefined();
  });

  it('drops a batch the receiver refuses permanently (4xx) instead of retrying it', async () => {
    const receiver = await startReceiver([404]);
    cleanup.push(receiver.close);
    const { monitor, raise } = monitorWithErrors();
    const delivery = createAlertDelivery({ monitor, sinks: [createWebhookSink({ url: receiver.url })], retry: { initialDelayMs: 20 } });
    cleanup.push(() => delivery.close());
    await raise();
    expect(await delivery.flush()).toBe(true);
    // Two alerts fire; the refused one is not sent again, the other is delivered.
    expect(receiver.received.map((r) => r.answered)).toEqual([404, 200]);
    expect(receiver.received[0]!.headers['x-wai-delivery']).not.toBe(receiver.received[1]!.headers['x-wai-delivery']);
    expect(delivery.stats()[0]).toMatchObject({ failed: 1, delivered: 1, retries: 0 });
    expect(delivery.stats()[0]!.lastError).toMatch(/answered 404: not now/);
    // The URL's token never reaches a log line or error.
    expect(delivery.stats()[0]!.lastError).not.toContain('token=abc');
  });

  it('refuses bad options by name', () => {
    expect(() => createWebhookSink({ url: 'ftp://example.com' })).toThrow(ConfigError);
    expect(() => createWebhookSink({ url: 'http://example.com', secret: '' })).toThrow(/secret/);
    expect(() => createAlertDelivery({ monitor: createPerformanceMonitor({ systemMetrics: false }), sinks: [], maxQueue: 0 })).toThrow(/maxQueue/);
  });
});
