// A runnable tour of the monitor: synthetic traffic in, snapshot / health / alerts / Prometheus text out.
// Run from the repository root with `pnpm demo` (builds @wai/metrics-core first).
import { createPerformanceMonitor } from '../dist/index.js';
import { loadConfigFromEnv } from '../dist/config/index.js';

const config = loadConfigFromEnv(process.env);
const monitor = createPerformanceMonitor({ interval: config.monitoring.interval, apdexTargetMs: 300 });
monitor.on('alert', (alert) => console.log(`ALERT   [${alert.severity}] ${alert.message}`));
monitor.on('alert:resolved', (alert) => console.log(`RESOLVED ${alert.id}`));
monitor.start();

// A cache source: anything with getAnalytics() (here a fake one; @wai/cache-tiers provides the real thing).
monitor.addCacheSource('main', { getAnalytics: () => ({ hits: 930, misses: 70, hitRate: 0.93, tiers: {} }) });

// Synthetic traffic: three routes with log-normal latencies; /api/reports is slow and sometimes fails.
const routes = [
  { route: '/api/workshops', method: 'GET', medianMs: 12, errorRate: 0.002 },
  { route: '/api/workshops/:id', method: 'GET', medianMs: 20, errorRate: 0.01 },
  { route: '/api/reports', method: 'POST', medianMs: 900, errorRate: 0.08 },
];
function gaussian() {
  return Math.sqrt(-2 * Math.log(Math.max(Math.random(), 1e-12))) * Math.cos(2 * Math.PI * Math.random());
}
for (let i = 0; i < 20_000; i++) {
  const r = routes[i % 10 === 0 ? 2 : i % 2];
  const durationMs = r.medianMs * Math.exp(0.6 * gaussian());
  const status = Math.random() < r.errorRate ? 500 : 200;
  monitor.trackEndpoint(r.route, durationMs, status, r.method);
}
monitor.recordOperation('db', 'SELECT * FROM workshops WHERE id = $1', 4.2);
monitor.recordMetric('queue_depth', 17, { queue: 'emails' });

const snapshot = await monitor.sample();
console.log('\n── snapshot (last minute) ──');
console.log(`requests ${snapshot.requestCount}  rps ${snapshot.requestsPerSecond.toFixed(1)}  error rate ${(snapshot.errorRate * 100).toFixed(2)} %`);
console.log('response time ms', Object.fromEntries(Object.entries(snapshot.responseTime).map(([k, v]) => [k, Math.round(v * 10) / 10])));
console.table(
  snapshot.endpoints.map((e) => ({ route: `${e.method} ${e.route}`, count: e.count, errors: e.errors, p50: e.responseTime.p50.toFixed(1), p95: e.responseTime.p95.toFixed(1), p99: e.responseTime.p99.toFixed(1) })),
);
console.log(`heap ${(snapshot.memory.heapUsed / 1048576).toFixed(1)} MiB (${snapshot.memory.usagePercent.toFixed(1)} % of limit), event-loop p99 ${snapshot.eventLoop.delayP99.toFixed(2)} ms`);

const health = monitor.getHealth();
console.log(`\n── health: ${health.score} (${health.status}) ──`);
for (const [name, component] of Object.entries(health.components)) console.log(`  ${name.padEnd(9)} ${String(component.score).padStart(5)}  ${component.detail}`);

console.log('\n── active alerts ──');
for (const alert of monitor.getAlerts({ active: true })) console.log(`  ${alert.state.padEnd(7)} ${alert.id}: ${alert.message}`);

console.log('\n── Prometheus text (first lines) ──');
const text = monitor.toPrometheus();
const lines = text.split('\n');
console.log(lines.filter((line) => !line.includes('_bucket{') || line.includes('le="0.05"')).slice(0, 40).join('\n'));
console.log(`… ${lines.length} lines in all`);

await monitor.close();
