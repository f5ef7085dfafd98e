import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasAlertmanager, startAlertmanager, startTcpProxy, type AlertmanagerHandle } from '@wai/test-services';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from '../monitor/performance-monitor.js';
import { createAlertDelivery } from './alert-delivery.js';
import { createAlertmanagerSink } from './alertmanager-sink.js';

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

const slowRoutes = ['/api/slow/:id', '/api/reports'];

// A real Alertmanager (Debian's prometheus-alertmanager) on loopback; the monitor's time is injected, its
// latency comes from recorded slow requests, delivery goes over real HTTP.
describe.runIf(hasAlertmanager())('Alertmanager sink against a real Alertmanager', () => {
  let alertmanager: AlertmanagerHandle;

  beforeAll(async () => {
    alertmanager = await startAlertmanager({ groupBy: ['alertname'] });
  });
  afterAll(async () => {
    await alertmanager?.close();
  });

  it('delivers alerts raised by injected latency, grouped by alertname, and resolves them when latency goes away', async () => {
    // Monitor time runs two minutes behind the wall clock, so a resolve time stays in Alertmanager's past.
    const clock = createFakeClock(Date.now() - 120_000);
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, interval: 1000, thresholds: { responseTimeMs: 1000, forMs: 0 } });
    const delivery = createAlertDelivery({
      monitor,
      sinks: [createAlertmanagerSink({ url: alertmanager.url, instance: 'api-1:3001', labels: { service: 'workshops' }, generatorURL: 'http://api-1:3001/api/performance/enhanced/' })],
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
    });

    for (let i = 0; i < 20; i++) for (const route of slowRoutes) monitor.trackEndpoint(route, 1500 + i, 200, 'GET');
    await monitor.sample();
    const fired = monitor.getAlerts({ active: true }).filter((alert) => alert.type === 'response_time');
    expect(fired.map((alert) => alert.route ?? 'global').sort()).toEqual(['/api/reports', '/api/slow/:id', 'global']);
    expect(await delivery.flush()).toBe(true);

    const alerts = await eventually(alertmanager.alerts, (list) => list.filter((a) => a.labels.alertname === 'response_time').length === 3);
    const ours = alerts.filter((a) => a.labels.alertname === 'response_time');
    expect(ours).toHaveLength(3);
    expect(ours.map((a) => a.labels.route ?? 'global').sort()).toEqual(['/api/reports', '/api/slow/:id', 'global']);
    for (const alert of ours) {
      expect(alert.status.state).toBe('active');
      expect(alert.labels).toMatchObject({ instance: 'api-1:3001', service: 'workshops', severity: 'warning' });
      expect(Number(alert.annotations.value)).toBeGreaterThan(1000);
      expect(alert.annotations.threshold).toBe('1000');
      expect(Date.parse(alert.startsAt)).toBe(fired[0]!.startedAt);
    }
    const groups = await eventually(alertmanager.groups, (list) => list.some((g) => g.labels.alertname === 'response_time' && g.alerts.length === 3));
    const group = groups.find((g) => g.labels.alertname === 'response_time');
    expect(group?.labels).toEqual({ alertname: 'response_time' });
    expect(group?.alerts).toHaveLength(3);

    // Latency goes away: the slow minute leaves the window and only fast requests remain.
    clock.advance(70_000);
    for (let i = 0; i < 20; i++) for (const route of slowRoutes) monitor.trackEndpoint(route, 20, 200, 'GET');
    await monitor.sample();
    expect(monitor.getAlerts({ active: true }).filter((alert) => alert.type === 'response_time')).toEqual([]);
    expect(await delivery.flush()).toBe(true);
    const after = await eventually(alertmanager.alerts, (list) => list.every((a) => a.labels.alertname !== 'response_time'));
    expect(after.filter((a) => a.labels.alertname === 'response_time')).toEqual([]);
    expect(delivery.stats()[0]).toMatchObject({ delivered: 6, dropped: 0, failed: 0 });

    await delivery.close();
    await monitor.close();
  });

  it('keeps alerts queued through a short outage of Alertmanager and delivers them when it is back', async () => {
    const target = new URL(alertmanager.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) }, 'http');
    proxy.cut();
    const clock = createFakeClock(Date.now() - 60_000);
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, thresholds: { errorRate: 0.05, forMs: 0 } });
    const delivery = createAlertDelivery({
      monitor,
      sinks: [createAlertmanagerSink({ url: proxy.url, instance: 'outage-test' })],
      retry: { initialDelayMs: 50, maxDelayMs: 100 },
      timeoutMs: 1000,
    });
    for (let i = 0; i < 20; i++) monitor.trackEndpoint('/api/flaky', 10, i % 2 === 0 ? 500 : 200, 'GET');
    await monitor.sample();
    expect(await delivery.flush(500)).toBe(false);
    const during = delivery.stats()[0]!;
    expect(during.retries).toBeGreaterThan(0);
    expect(during.queued).toBeGreaterThan(0);
    expect(during.delivered).toBe(0);

    proxy.restore();
    expect(await delivery.flush(5000)).toBe(true);
    const alerts = await eventually(alertmanager.alerts, (list) => list.some((a) => a.labels.instance === 'outage-test'));
    expect(alerts.filter((a) => a.labels.instance === 'outage-test').map((a) => a.labels.alertname)).toContain('error_rate');
    expect(delivery.stats()[0]).toMatchObject({ queued: 0, dropped: 0, failed: 0 });

    await delivery.close();
    await monitor.close();
    await proxy.close();
  });
});
