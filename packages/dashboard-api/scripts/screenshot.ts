/**
 * Takes the README screenshot: a small Fastify app with the dashboard, realistic traffic on several routes
 * (one slow enough to raise an alert and a bottleneck), then headless Chromium on the page.
 * Run: `pnpm --filter @wai/dashboard-api screenshot` (writes docs/dashboard.png at the repository root, or argv[2]).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { chromium } from 'playwright-core';
import { createPerformanceMonitor } from '@wai/metrics-core';
import { dashboardApi } from '../src/index.js';
import { createMapCache, slowEndpointAnalyzer } from '../test/helpers.js';

const output = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/dashboard.png'));
const seconds = Number(process.env.DEMO_SECONDS ?? 70);
const TOKEN = 'demo-token';

const monitor = createPerformanceMonitor({ interval: 1000, thresholds: { responseTimeMs: 800, forMs: 3000 } });
monitor.use(slowEndpointAnalyzer(400));
const cache = createMapCache();
monitor.addCacheSource('main', cache);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const app = Fastify();
app.addHook('onResponse', async (request, reply) => {
  const route = request.routeOptions.url;
  if (route?.startsWith('/api/') && !route.startsWith('/api/performance')) monitor.trackEndpoint(route, reply.elapsedTime, reply.statusCode, request.method);
});
app.get('/api/workshops', async () => {
  await sleep(15 + Math.random() * 25);
  return [];
});
app.get('/api/workshops/:id', async (request) => {
  const key = `workshop:${(request.params as { id: string }).id}`;
  if (cache.read(key) === undefined) {
    await sleep(40 + Math.random() * 60);
    cache.entries.set(key, { value: {}, tags: ['workshop'] });
  }
  return {};
});
app.post('/api/bookings', async (_request, reply) => {
  await sleep(60 + Math.random() * 90);
  if (Math.random() < 0.04) return reply.code(500).send({ error: 'payment gateway timeout' });
  return reply.code(201).send({});
});
app.get('/api/users/:id/profile', async () => {
  await sleep(5 + Math.random() * 10);
  return {};
});
app.get('/api/reports/monthly', async () => {
  await sleep(500 + Math.random() * 1100);
  // A synchronous JSON build that blocks the loop now and then (event-loop delay on the chart).
  const until = performance.now() + (Math.random() < 0.3 ? 25 : 2);
  while (performance.now() < until);
  return {};
});
await app.register(dashboardApi, { monitor, cache, token: TOKEN, liveInterval: 1000 });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
monitor.start();

let running = true;
const routes: Array<[string, string, number]> = [
  ['GET', '/api/workshops', 6],
  ['GET', `/api/workshops/${'{id}'}`, 10],
  ['POST', '/api/bookings', 3],
  ['GET', `/api/users/${'{id}'}/profile`, 5],
  ['GET', '/api/reports/monthly', 1],
];
const total = routes.reduce((sum, r) => sum + r[2], 0);
async function worker(index: number): Promise<void> {
  while (running) {
    let pick = Math.random() * total;
    const [method, template] = routes.find((r) => (pick -= r[2]) < 0) ?? routes[0]!;
    const url = template.replace('{id}', String(Math.floor(Math.random() * 40)));
    await fetch(`${base}${url}`, { method }).catch(() => {});
    // A traffic wave so the charts have shape.
    const wave = 1 + Math.sin(Date.now() / 9000 + index) * 0.8;
    await sleep(40 + 120 / wave);
  }
}
const workers = Array.from({ length: 12 }, (_, i) => worker(i));
await sleep(seconds * 1000);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  await page.addInitScript((token) => sessionStorage.setItem('wai-dashboard-token', token), TOKEN);
  await page.goto(`${base}/api/performance/enhanced/`);
  await page.waitForSelector('#connection[data-state="live"]');
  await page.waitForTimeout(4000);
  mkdirSync(dirname(output), { recursive: true });
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  running = false;
  await browser.close();
  await Promise.all(workers);
  await app.close();
  await monitor.close();
}
