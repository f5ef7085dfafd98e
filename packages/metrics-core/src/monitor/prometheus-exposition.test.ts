import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from './performance-monitor.js';
import { escapeLabelValue } from './prometheus-exposition.js';

/** Runs `promtool check metrics` (Prometheus' own linter) on the text; returns its exit code and output. */
function promtool(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function busyMonitor() {
  const monitor = createPerformanceMonitor({ clock: createFakeClock() });
  const routes = ['/api/workshops', '/api/workshops/:id', '/weird "route"\\with\nnewline'];
  for (let i = 0; i < 300; i++) {
    const route = routes[i % routes.length]!;
    monitor.trackEndpoint(route, (i % 40) * 7.3, i % 17 === 0 ? 503 : i % 5 === 0 ? 404 : 200, i % 2 ? 'GET' : 'POST');
  }
  monitor.trackAborted('/api/workshops', 'GET');
  monitor.recordRateLimit({ allowed: false, reason: 'limited', limit: 10, remaining: 0, resetInMs: 100 });
  monitor.recordRateLimit({ allowed: true, limit: 10, remaining: 9, resetInMs: 100 });
  monitor.recordMetric('queue.depth', 12, { queue: 'emails', 'bad-label': 'x"y' });
  monitor.recordMetric('queue.depth', 3, { queue: 'sms', 'bad-label': 'z' });
  monitor.addCacheSource('main', { getAnalytics: () => ({ hits: 8, misses: 2, hitRate: 0.8, tiers: { l1: { hits: 8, misses: 2, hitRate: 0.8, errors: 0 } } }) });
  await monitor.sample();
  return monitor;
}

describe('Prometheus exposition', () => {
  it('passes promtool check metrics with no errors or lint warnings', async () => {
    const monitor = await busyMonitor();
    const text = monitor.toPrometheus();
    const { status, output } = promtool(text);
    expect(output).toBe('');
    expect(status).toBe(0);
    await monitor.close();
  });

  it('exports the OpenTelemetry-named histogram with cumulative buckets', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    for (const ms of [3, 8, 40, 40, 2000, 20_000]) monitor.trackEndpoint('/a', ms, 200, 'GET');
    const text = monitor.toPrometheus();
    const labels = 'http_route="/a",http_request_method="GET",http_response_status_code="200"';
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(text).toContain(`http_server_request_duration_seconds_bucket{${labels},le="0.005"} 1`);
    expect(text).toContain(`http_server_request_duration_seconds_bucket{${labels},le="0.05"} 4`);
    expect(text).toContain(`http_server_request_duration_seconds_bucket{${labels},le="10"} 5`);
    expect(text).toContain(`http_server_request_duration_seconds_bucket{${labels},le="+Inf"} 6`);
    expect(text).toContain(`http_server_request_duration_seconds_count{${labels}} 6`);
    expect(text).toContain(`http_server_request_duration_seconds_sum{${labels}} 22.091`);
    expect(text).toMatch(/^wai_health_score \d+/m);
    await monitor.close();
  });

  it('escapes label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
