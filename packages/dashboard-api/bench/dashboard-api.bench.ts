/**
 * Benchmarks for @wai/dashboard-api (STYLE.md format → bench/results/dashboard-api.json at the repository root):
 * - `GET dashboard` through Fastify with 2,000 route series tracked, against the cost of `JSON.stringify` of
 *   the monitor's snapshot measured in the same run;
 * - one live broadcast to 500 WebSocket clients: time to hand the frame to every socket, time until every
 *   client has it, and bytes, against serialising the frame once per client.
 * Run: `pnpm --filter @wai/dashboard-api bench`.
 */
import Fastify from 'fastify';
import { Bench } from 'tinybench';
import { WebSocket } from 'ws';
import { median, percentile, round, writeBenchResult, type BenchRow as Row } from '@wai/test-services/bench';
import { createPerformanceMonitor, type CacheAnalytics } from '@wai/metrics-core';
import { buildLiveFrame, dashboardApi, type DashboardDecorator } from '../src/index.js';

const ROUTES = 2000;
const CLIENTS = 500;
const TOKEN = 'bench-token';

const p99 = (values: readonly number[]) => percentile(values, 0.99);

function latency(bench: Bench, name: string): { p50: number; p99: number } {
  const task = bench.getTask(name);
  const result = task?.result as { latency?: { p50?: number; p99?: number } } | undefined;
  if (!result?.latency?.p50) throw new Error(`benchmark "${name}" produced no result`);
  return { p50: result.latency.p50, p99: result.latency.p99 ?? result.latency.p50 };
}

// ── a monitor with 2,000 route series ───────────────────────────────────────────────────────────────────
const monitor = createPerformanceMonitor({ interval: 60_000, maxSeries: ROUTES + 10 });
for (let route = 0; route < ROUTES; route += 1) {
  for (let request = 0; request < 5; request += 1) monitor.trackEndpoint(`/api/resource${route}/:id`, 5 + ((route * 7 + request * 13) % 200), request === 4 && route % 50 === 0 ? 500 : 200, 'GET');
}
const analytics: CacheAnalytics = { hits: 900, misses: 100, hitRate: 0.9, tiers: { l1: { hits: 900, misses: 100, hitRate: 0.9, errors: 0 } } };
const cache = { getAnalytics: () => analytics };
await monitor.sample();
if (monitor.getCurrentMetrics().endpoints.length !== ROUTES) throw new Error('expected 2,000 tracked route series');

const app = Fastify();
await app.register(dashboardApi, { monitor, cache, token: TOKEN, maxClients: CLIENTS + 10, liveInterval: 3_600_000 });
await app.listen({ port: 0, host: '127.0.0.1' });
const first = await app.inject({ method: 'GET', url: '/api/performance/enhanced/dashboard' });
if (first.statusCode !== 200) throw new Error(`GET dashboard answered ${first.statusCode}`);

// The same route with no snapshot sharing: every request pays for monitor.getCurrentMetrics().
const cold = Fastify();
await cold.register(dashboardApi, { monitor, cache, token: TOKEN, live: false, snapshotMaxAge: 0 });

const bench = new Bench({ time: 3000, warmupTime: 500 });
bench
  .add('GET dashboard', async () => {
    await app.inject({ method: 'GET', url: '/api/performance/enhanced/dashboard' });
  })
  .add('GET dashboard cold', async () => {
    await cold.inject({ method: 'GET', url: '/api/performance/enhanced/dashboard' });
  })
  .add('JSON.stringify(getCurrentMetrics())', () => {
    JSON.stringify(monitor.getCurrentMetrics());
  });
await bench.run();
const dashboard = latency(bench, 'GET dashboard');
const dashboardCold = latency(bench, 'GET dashboard cold');
const stringify = latency(bench, 'JSON.stringify(getCurrentMetrics())');
await cold.close();

// ── one broadcast to 500 clients ────────────────────────────────────────────────────────────────────────
const port = (app.server.address() as { port: number }).port;
const received: number[] = new Array(CLIENTS).fill(0);
const sockets: WebSocket[] = [];
for (let index = 0; index < CLIENTS; index += 1) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/performance/enhanced/live`, { headers: { authorization: `Bearer ${TOKEN}` } });
  socket.on('message', () => {
    received[index]! += 1;
  });
  sockets.push(socket);
  await new Promise<void>((resolveOpen, reject) => {
    socket.once('open', () => resolveOpen());
    socket.once('error', reject);
  });
}
const hub = app.getDecorator<DashboardDecorator>('waiDashboard').live!;
// Every client has its hello and first snapshot.
while (received.some((count) => count < 2)) await new Promise((r) => setTimeout(r, 5));

const sendTimes: number[] = [];
const deliverTimes: number[] = [];
let frameBytes = 0;
const ROUNDS = 40;
for (let round = 0; round < ROUNDS; round += 1) {
  const target = received.map((count) => count + 1);
  const started = performance.now();
  const result = hub.publishSnapshot();
  sendTimes.push(performance.now() - started);
  frameBytes = result.frameBytes;
  if (result.sent !== CLIENTS) throw new Error(`broadcast reached ${result.sent} of ${CLIENTS} clients`);
  while (received.some((count, index) => count < target[index]!)) await new Promise((r) => setImmediate(r));
  deliverTimes.push(performance.now() - started);
}
// Baseline: building the frame once, then serialising it per client (what a naive loop over clients does).
const frame = buildLiveFrame(monitor, cache, 50);
const naiveTimes: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const started = performance.now();
  for (let index = 0; index < CLIENTS; index += 1) JSON.stringify(frame);
  naiveTimes.push(performance.now() - started);
}

for (const socket of sockets) socket.terminate();
await app.close();
await monitor.close();

const send = median(sendTimes);
const deliver = median(deliverTimes);
const naive = median(naiveTimes);
const rows: Row[] = [
  {
    name: `GET dashboard, ${ROUTES} route series (Fastify inject, default 1 s shared snapshot)`,
    unit: 'ms',
    ours: round(dashboard.p50),
    ours_p99: round(dashboard.p99),
    baseline: { name: 'JSON.stringify(monitor.getCurrentMetrics()) with the same 2,000 series', value: round(stringify.p50) },
    ratio: round(dashboard.p50 / stringify.p50),
    target: '<= 5 ms median',
    met: dashboard.p50 <= 5,
  },
  {
    name: `GET dashboard, ${ROUTES} route series, snapshot recomputed per request (snapshotMaxAge: 0)`,
    unit: 'ms',
    ours: round(dashboardCold.p50),
    ours_p99: round(dashboardCold.p99),
    baseline: { name: 'JSON.stringify(monitor.getCurrentMetrics()) with the same 2,000 series', value: round(stringify.p50) },
    ratio: round(dashboardCold.p50 / stringify.p50),
    target: '<= 5 ms median',
    met: dashboardCold.p50 <= 5,
    note: 'bounded by monitor.getCurrentMetrics() + getHealth(), each walking the 2,000 series (metrics-core); the default shares one reading per second (row above)',
  },
  {
    name: `live broadcast: build + hand one snapshot frame to ${CLIENTS} WebSocket clients`,
    unit: 'ms',
    ours: round(send),
    ours_p99: round(p99(sendTimes)),
    baseline: { name: `JSON.stringify of the frame once per client (${CLIENTS}x)`, value: round(naive) },
    ratio: round(send / naive),
    target: '<= 100 ms (a tenth of the 1 s live interval)',
    met: send <= 100,
  },
  {
    name: `live broadcast: until all ${CLIENTS} clients (same process) received the frame`,
    unit: 'ms',
    ours: round(deliver),
    ours_p99: round(p99(deliverTimes)),
    baseline: { name: `JSON.stringify of the frame once per client (${CLIENTS}x)`, value: round(naive) },
    ratio: round(deliver / naive),
    target: '<= 1000 ms (the live interval)',
    met: deliver <= 1000,
  },
  {
    name: `live broadcast: bytes written for one frame to ${CLIENTS} clients`,
    unit: 'bytes',
    ours: frameBytes * CLIENTS,
    baseline: { name: `JSON.stringify(getCurrentMetrics()) per client (all ${ROUTES} endpoints)`, value: Buffer.byteLength(JSON.stringify(monitor.getCurrentMetrics())) * CLIENTS },
    ratio: 0,
    target: 'frame <= 64 KiB (top 50 endpoints, not all 2,000)',
    met: frameBytes <= 64 * 1024,
    note: `${frameBytes} bytes per frame`,
  },
];
rows[4]!.ratio = round(rows[4]!.ours / rows[4]!.baseline.value);

const resultsPath = writeBenchResult('dashboard-api.json', '@wai/dashboard-api', rows);
console.table(rows.map(({ name, unit, ours, baseline, ratio, met }) => ({ name, unit, ours, baseline: baseline.value, ratio, met })));
console.log(`wrote ${resultsPath}`);
