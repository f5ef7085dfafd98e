/**
 * Benchmarks of the metric engine against prom-client (the usual Node.js choice), measured in the same run.
 * Run with `pnpm --filter @wai/metrics-core bench` (type-checks by building first; tsx runs the sources).
 * Writes `bench/results/metrics-core.json` at the repository root.
 */
import client from 'prom-client';
import { median, round, writeBenchResult, type BenchRow as Row } from '@wai/test-services/bench';
import { createFakeClock } from '../src/testing.js';
import { createPerformanceMonitor, QuantileSketch } from '../src/index.js';
import { logNormalSamples as logNormal, seededRandom } from '../test/random.js';
import { interleaved } from './interleaved.js';
import { otelBridgeCost } from './otel-bridge.bench.js';
import { fleetPublishCost } from './fleet-publish.bench.js';

const PROM_CLIENT = 'prom-client 15.1.3';
const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const LABELS = ['http_route', 'http_request_method', 'http_response_status_code'] as const;

// ── 1. cost of recording one request ─────────────────────────────────────────────────────────────────────
interface Combo {
  route: string;
  method: string;
  status: number;
  labels: Record<(typeof LABELS)[number], string>;
}

function combos(): Combo[] {
  const result: Combo[] = [];
  for (let r = 0; r < 50; r++) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      for (const status of [200, 201, 404, 500]) {
        const route = `/api/resource${r}/:id`;
        result.push({ route, method, status, labels: { http_route: route, http_request_method: method, http_response_status_code: String(status) } });
      }
    }
  }
  return result;
}

async function recordingCost(): Promise<Row[]> {
  const all = combos();
  // A request stream: combos and durations pre-generated outside the timed loop.
  const STREAM = 8192;
  const random = seededRandom(5);
  const picks = Array.from({ length: STREAM }, () => all[Math.floor(random() * all.length)]!);
  const durationsMs = logNormal(STREAM, Math.log(40), 1, 9);
  const durationsSeconds = durationsMs.map((ms) => ms / 1000);

  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  monitor.start(); // as in production: the write slot comes from the cached coarse clock
  const idle = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  const registry = new client.Registry();
  const histogram = new client.Histogram({ name: 'http_server_request_duration_seconds', help: 'x', labelNames: LABELS, buckets: BUCKETS_SECONDS, registers: [registry] });

  let cursor = 0;
  const ours = (target: typeof monitor) => (calls: number) => {
    for (let i = 0; i < calls; i++) {
      const k = (cursor + i) & (STREAM - 1);
      const c = picks[k]!;
      target.trackEndpoint(c.route, durationsMs[k]!, c.status, c.method);
    }
    cursor = (cursor + calls) & (STREAM - 1);
  };
  const prom = (calls: number) => {
    for (let i = 0; i < calls; i++) {
      const k = (cursor + i) & (STREAM - 1);
      histogram.observe(picks[k]!.labels, durationsSeconds[k]!);
    }
    cursor = (cursor + calls) & (STREAM - 1);
  };
  // Two clean head-to-head runs (a third task in the same rounds would only add cache pressure to both).
  const started = interleaved({ ours: ours(monitor), prom }, 100_000, 41);
  const notStarted = interleaved({ ours: ours(idle), prom }, 100_000, 21);
  await monitor.close();
  await idle.close();
  const baseline = (stats: typeof started) => ({ name: `${PROM_CLIENT} Histogram.observe(labels, v), same 3 labels (800 combos)`, value: round(stats.prom!.median, 1) });
  return [
    {
      name: 'trackEndpoint, 50 routes x 4 methods x 4 status codes (monitor started)',
      unit: 'ns/op', ours: round(started.ours!.median, 1), ours_p99: round(started.ours!.p99, 1), baseline: baseline(started),
      ratio: round(started.ours!.median / started.prom!.median), target: '<= 0.15x prom-client', met: started.ours!.median / started.prom!.median <= 0.15,
      note: 'median of 41 interleaved rounds of 100,000 calls each (ours, prom-client, ours, ...); p99 over rounds',
    },
    {
      name: 'trackEndpoint, same traffic, monitor not started (reads the clock per call)',
      unit: 'ns/op', ours: round(notStarted.ours!.median, 1), ours_p99: round(notStarted.ours!.p99, 1), baseline: baseline(notStarted),
      ratio: round(notStarted.ours!.median / notStarted.prom!.median), target: 'informational (no target)', met: true,
    },
  ];
}

// ── 2. quantile accuracy ─────────────────────────────────────────────────────────────────────────────────
async function quantileAccuracy(): Promise<Row> {
  const N = 1_000_000;
  const values = logNormal(N, Math.log(50), 1, 1234);
  const sorted = Float64Array.from(values).sort();
  const quantiles = [0.5, 0.9, 0.95, 0.99];
  const exact = quantiles.map((q) => sorted[Math.floor(q * (N - 1))]!);
  const sketch = new QuantileSketch();
  for (let i = 0; i < N; i++) sketch.add(values[i]!);
  const ourError = Math.max(...quantiles.map((q, k) => Math.abs(sketch.quantile(q) - exact[k]!) / exact[k]!));
  // Baseline: prom-client's Summary (a t-digest) over the same values.
  const registry = new client.Registry();
  const summary = new client.Summary({ name: 'latency_ms', help: 'x', percentiles: quantiles, registers: [registry] });
  for (let i = 0; i < N; i++) summary.observe(values[i]!);
  const metric = await summary.get();
  const theirs = quantiles.map((q) => metric.values.find((v) => v.labels.quantile === q)!.value);
  const theirError = Math.max(...theirs.map((value, k) => Math.abs(value - exact[k]!) / exact[k]!));
  return {
    name: 'quantile accuracy: max relative error over p50/p90/p95/p99, 1,000,000 log-normal samples',
    unit: 'relative error', ours: round(ourError, 5),
    baseline: { name: `${PROM_CLIENT} Summary (t-digest) on the same samples`, value: round(theirError, 5) },
    ratio: round(ourError / Math.max(theirError, 1e-12)), target: '<= 0.01', met: ourError <= 0.01,
  };
}

// ── 3. memory per route series ───────────────────────────────────────────────────────────────────────────
function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const retained: unknown[] = [];

function memoryPerSeries(): Row[] {
  const SERIES = 1000;
  const random = seededRandom(77);
  const durations = logNormal(4096, Math.log(40), 1, 3);
  const pick = () => durations[Math.floor(random() * 4096)]!;
  // prom-client first: one label set per series, 60 observations each.
  const beforeProm = heapUsed();
  const registry = new client.Registry();
  const histogram = new client.Histogram({ name: 'http_server_request_duration_seconds', help: 'x', labelNames: LABELS, buckets: BUCKETS_SECONDS, registers: [registry] });
  for (let s = 0; s < SERIES; s++) {
    const labels = { http_route: `/api/r${s}/:id`, http_request_method: 'GET', http_response_status_code: '200' };
    for (let i = 0; i < 60; i++) histogram.observe(labels, pick() / 1000);
  }
  const prom = (heapUsed() - beforeProm) / SERIES;
  retained.push(registry, histogram);

  const clock = createFakeClock();
  const before = heapUsed();
  const monitor = createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false, maxSeries: SERIES + 10 });
  const routes = Array.from({ length: SERIES }, (_, s) => `/api/r${s}/:id`);
  // One minute of traffic: 60 requests per series spread over the six 10 s slots.
  for (let step = 0; step < 6; step++) {
    for (const route of routes) for (let i = 0; i < 10; i++) monitor.trackEndpoint(route, pick(), 200, 'GET');
    clock.advance(10_000);
  }
  const minute = (heapUsed() - before) / SERIES;
  // An hour of traffic: the ring of one-minute sketches fills (60 per series).
  for (let step = 0; step < 354; step++) {
    for (const route of routes) for (let i = 0; i < 2; i++) monitor.trackEndpoint(route, pick(), 200, 'GET');
    clock.advance(10_000);
  }
  const hour = (heapUsed() - before) / SERIES;
  retained.push(monitor, routes);
  const baseline = { name: `${PROM_CLIENT} Histogram, one label set per series (14 buckets; no quantiles, no windows)`, value: Math.round(prom) };
  return [
    {
      name: 'memory per route series after one minute of traffic (six 10 s sketches + cumulative export histogram)',
      unit: 'bytes', ours: Math.round(minute), baseline, ratio: round(minute / prom), target: 'stated (no target)', met: true,
    },
    {
      name: 'memory per route series after one hour of traffic (plus sixty 1 min sketches)',
      unit: 'bytes', ours: Math.round(hour), baseline, ratio: round(hour / prom), target: 'stated; bounded by 66 sketches x 1024 buckets x 4 B', met: true,
    },
  ];
}

// ── 4. reading 2,000 series ──────────────────────────────────────────────────────────────────────────────
async function exposition(): Promise<Row> {
  const all = combos();
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  const registry = new client.Registry();
  const histogram = new client.Histogram({ name: 'http_server_request_duration_seconds', help: 'x', labelNames: LABELS, buckets: BUCKETS_SECONDS, registers: [registry] });
  const durations = logNormal(all.length * 20, Math.log(40), 1, 21);
  let k = 0;
  for (const c of all) {
    for (let i = 0; i < 20; i++, k++) {
      monitor.trackEndpoint(c.route, durations[k]!, c.status, c.method);
      histogram.observe(c.labels, durations[k]! / 1000);
    }
  }
  // registry.metrics() is async (collectors may await), so time both by hand in alternating rounds.
  const oursMs: number[] = [];
  const promMs: number[] = [];
  for (let round = 0; round < 36; round++) {
    const t0 = performance.now();
    const text = monitor.toPrometheus();
    const t1 = performance.now();
    const theirs = await registry.metrics();
    const t2 = performance.now();
    if (round >= 5) {
      oursMs.push(t1 - t0);
      promMs.push(t2 - t1);
    }
    if (text.length === 0 || theirs.length === 0) throw new Error('empty exposition');
  }
  const stats = { ours: { median: median(oursMs) * 1e6 }, prom: { median: median(promMs) * 1e6 } };
  const ours = stats.ours!.median / 1e6;
  const prom = stats.prom!.median / 1e6;
  await monitor.close();
  return {
    name: 'toPrometheus() with 800 label sets (200 route+method series x 4 status codes), 20 requests each',
    unit: 'ms', ours: round(ours), baseline: { name: `${PROM_CLIENT} registry.metrics() with the same histogram series`, value: round(prom) },
    ratio: round(ours / prom), target: '<= 2x prom-client (ours also computes the snapshot and health)', met: ours / prom <= 2,
  };
}

const rows: Row[] = [];
const memoryRows = memoryPerSeries();
rows.push(...(await recordingCost()));
rows.push(...(await otelBridgeCost()));
rows.push(...(await fleetPublishCost()));
rows.push(await quantileAccuracy());
rows.push(...memoryRows);
rows.push(await exposition());
const resultsFile = writeBenchResult('metrics-core.json', '@wai/metrics-core', rows);
console.table(rows.map((row) => ({ name: row.name, unit: row.unit, ours: row.ours, baseline: row.baseline.value, ratio: row.ratio, met: row.met })));
console.log(`written ${resultsFile}`);
