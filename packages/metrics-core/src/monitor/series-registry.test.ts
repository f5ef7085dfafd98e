import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from './performance-monitor.js';
import { OVERFLOW_ROUTE } from './series-registry.js';

describe('route series', () => {
  it('caps series at maxSeries and sends the rest to one overflow series', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, maxSeries: 3 });
    for (const route of ['/a', '/b', '/c', '/d', '/e']) monitor.trackEndpoint(route, 10, 200, 'GET');
    monitor.trackEndpoint('/f', 10, 503, 'POST');
    const endpoints = monitor.getCurrentMetrics().endpoints;
    expect(endpoints.map((e) => e.route).sort()).toEqual(['/a', '/b', '/c', OVERFLOW_ROUTE].sort());
    const overflow = endpoints.find((e) => e.route === OVERFLOW_ROUTE)!;
    expect(overflow.count).toBe(3);
    expect(overflow.errors).toBe(1);
    expect(monitor.toPrometheus()).toContain(`http_route="${OVERFLOW_ROUTE}"`);
    await monitor.close();
  });

  it('keys by route and method, normalising method spellings into one series', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    monitor.trackEndpoint('/a', 10, 200, 'get');
    monitor.trackEndpoint('/a', 20, 200, 'GET');
    monitor.trackEndpoint('/a', 30, 201, 'POST');
    monitor.trackEndpoint('/a', 30, 200, 'PROPFIND');
    const endpoints = monitor.getCurrentMetrics().endpoints;
    expect(endpoints.find((e) => e.method === 'GET')?.count).toBe(2);
    expect(endpoints.find((e) => e.method === 'POST')?.count).toBe(1);
    expect(endpoints).toHaveLength(3);
    await monitor.close();
  });

  it('evicts idle series on sample, freeing room under the cap', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, maxSeries: 2, seriesIdleMs: 60_000 });
    monitor.trackEndpoint('/old', 10, 200);
    clock.advance(30_000);
    monitor.trackEndpoint('/recent', 10, 200);
    clock.advance(40_000); // /old idle 70 s, /recent 40 s
    await monitor.sample();
    monitor.trackEndpoint('/new', 10, 200);
    const prometheus = monitor.toPrometheus();
    expect(prometheus).not.toContain('http_route="/old"');
    expect(prometheus).toContain('http_route="/recent"');
    expect(prometheus).toContain('http_route="/new"');
    expect(prometheus).not.toContain(OVERFLOW_ROUTE);
    await monitor.close();
  });

  it('counts a thrown error once, whether or not its request is tracked with a 5xx afterwards', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    monitor.trackError('/a', 'GET', new Error('boom'));
    monitor.trackEndpoint('/a', 10, 500, 'GET'); // the adapter's usual order: 1 error
    monitor.trackError('/b', 'GET'); // thrown, never tracked: 1 error
    monitor.trackEndpoint('/c', 10, 503, 'GET'); // plain 5xx: 1 error
    monitor.trackEndpoint('/c', 10, 200, 'GET');
    const byRoute = Object.fromEntries(monitor.getCurrentMetrics().endpoints.map((e) => [e.route, e]));
    expect(byRoute['/a']).toMatchObject({ count: 1, errors: 1, errorRate: 1 });
    expect(byRoute['/b']).toMatchObject({ count: 0, errors: 1 });
    expect(byRoute['/c']).toMatchObject({ count: 2, errors: 1, errorRate: 0.5 });
    expect(monitor.getCurrentMetrics().errorCount).toBe(3);
    await monitor.close();
  });

  it('counts thrown errors and aborted requests', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    monitor.trackEndpoint('/a', 10, 200);
    monitor.trackError('/a', 'GET', new Error('boom'));
    monitor.trackAborted('/a', 'GET');
    const [endpoint] = monitor.getCurrentMetrics().endpoints;
    expect(endpoint).toMatchObject({ count: 1, errors: 1, aborted: 1 });
    await monitor.close();
  });

  it('ignores nonsense input instead of throwing on the hot path', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    monitor.trackEndpoint('/a', Number.NaN, 200);
    monitor.trackEndpoint('/a', -5, 99999);
    monitor.trackEndpoint(undefined as unknown as string, 5, 200);
    const snapshot = monitor.getCurrentMetrics();
    expect(snapshot.requestCount).toBe(2);
    expect(snapshot.errorCount).toBe(1); // an impossible status code counts as a server error
    await monitor.close();
  });
});

describe('export buckets', () => {
  it('the table lookup agrees with a scan of the bounds, at and around every bound', async () => {
    const { DURATION_BUCKETS_MS, durationBucket, RouteSeries } = await import('./series-registry.js');
    const { defaultMapping } = await import('./quantile-sketch.js');
    const values = [0, 0.001, 1, 4.99, 20_000];
    for (const bound of DURATION_BUCKETS_MS) values.push(bound, bound * (1 - 1e-9), bound * (1 + 1e-9), bound * 0.999, bound * 1.001);
    for (const value of values) {
      const series = new RouteSeries('/x', 'GET', defaultMapping, 0);
      series.observe(200, value, defaultMapping.index(value));
      const histogram = series.statusHistograms()[0]![1];
      expect(histogram.buckets.indexOf(1), `value ${value}`).toBe(durationBucket(value));
    }
  });
});

describe('status codes per series', () => {
  it('keeps one export histogram per status code, however many there are', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    const codes = [200, 201, 204, 301, 304, 400, 401, 404, 429, 500, 502, 503];
    codes.forEach((code, k) => {
      for (let i = 0; i <= k; i++) monitor.trackEndpoint('/a', 10, code, 'GET');
    });
    const text = monitor.toPrometheus();
    codes.forEach((code, k) => {
      expect(text).toContain(`http_server_request_duration_seconds_count{http_route="/a",http_request_method="GET",http_response_status_code="${code}"} ${k + 1}`);
    });
    expect(monitor.getCurrentMetrics().endpoints[0]!.statusClasses).toEqual({ '2xx': 6, '3xx': 9, '4xx': 30, '5xx': 33 });
    await monitor.close();
  });
});
