/**
 * `pnpm --filter @wai/reference-server demo:load` — drives mixed traffic at a running reference server so its
 * dashboard shows alerts, bottlenecks and recommendations within a minute: a hot set of workshops (cache
 * hits), cold reads, list/search pages, writes that invalidate, a slow route, a CPU-bound route that blocks
 * the event loop, and a flaky route that fails about a third of the time.
 *
 * Options (flags or environment): --url / TARGET_URL (default http://127.0.0.1:3001), --duration / DURATION_S
 * (seconds, default 60), --concurrency / CONCURRENCY (default 16), --rate / RATE (requests per second across all
 * workers, default 80 — under the default rate limit even when the adaptive limiter has cut it to a tenth, so the mix reaches the routes rather than the limiter).
 */
import { parseArgs } from 'node:util';

interface Counters {
  total: number;
  byClass: Record<string, number>;
  failures: number;
  latencies: number[];
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
  },
});

const base = (values.url ?? process.env.TARGET_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3001}`).replace(/\/+$/, '');
const durationS = Number(values.duration ?? process.env.DURATION_S ?? 60);
const concurrency = Number(values.concurrency ?? process.env.CONCURRENCY ?? 16);
const rate = Number(values.rate ?? process.env.RATE ?? 80);
if (!Number.isFinite(rate) || rate <= 0) throw new TypeError('[wai:demo-load] --rate must be a positive number of requests per second');
if (!Number.isFinite(durationS) || durationS <= 0) throw new TypeError('[wai:demo-load] --duration must be a positive number of seconds');
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) throw new TypeError('[wai:demo-load] --concurrency must be an integer from 1 to 1000');

const HOT = [1, 2, 3, 4, 5];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** One request of the mix; weights add to 100. */
function nextRequest(maxId: number): { method: string; path: string; body?: unknown } {
  const roll = Math.random() * 100;
  if (roll < 45) return { method: 'GET', path: `/api/workshops/${pick(HOT)}` };
  if (roll < 58) return { method: 'GET', path: `/api/workshops/${1 + Math.floor(Math.random() * maxId)}` };
  if (roll < 66) return { method: 'GET', path: `/api/workshops?page=${1 + Math.floor(Math.random() * 3)}&pageSize=20` };
  if (roll < 70) return { method: 'GET', path: `/api/workshops/search?q=${pick(['cache', 'node', 'sql', 'metrics', 'fastify'])}` };
  if (roll < 74) return { method: 'GET', path: '/api/workshops/popular' };
  if (roll < 78) return { method: 'PUT', path: `/api/workshops/${1 + Math.floor(Math.random() * maxId)}`, body: { capacity: 20 + Math.floor(Math.random() * 40) } };
  if (roll < 83) return { method: 'GET', path: '/api/demo/slow?ms=1500' };
  if (roll < 86) return { method: 'GET', path: '/api/demo/cpu?ms=120' };
  return { method: 'GET', path: '/api/demo/flaky?failRate=0.35' };
}

async function main(): Promise<void> {
  const health = await fetch(`${base}/api/performance/enhanced/health`).catch((error: unknown) => {
    throw new Error(`[wai:demo-load] no server at ${base} (${(error as Error).message}); start it with \`pnpm start\``);
  });
  await health.arrayBuffer();
  const listing = await fetch(`${base}/api/workshops?pageSize=1`);
  const maxId = Math.max(5, Number(((await listing.json()) as { total?: number }).total ?? 60));

  const counters: Counters = { total: 0, byClass: {}, failures: 0, latencies: [] };
  const startedAt = Date.now();
  const until = startedAt + durationS * 1000;
  let issued = 0;
  console.log(`[demo-load] ${concurrency} workers, ${rate} req/s against ${base} for ${durationS} s — open ${base}/api/performance/enhanced/ to watch`);

  const worker = async () => {
    while (Date.now() < until) {
      // Open-loop pacing: request n is due at start + n / rate, whatever the latency of earlier ones.
      const due = startedAt + (issued++ / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (Date.now() >= until) break;
      const next = nextRequest(maxId);
      const started = performance.now();
      try {
        const response = await fetch(`${base}${next.path}`, {
          method: next.method,
          ...(next.body === undefined ? {} : { body: JSON.stringify(next.body), headers: { 'content-type': 'application/json' } }),
        });
        await response.arrayBuffer();
        const statusClass = `${Math.floor(response.status / 100)}xx`;
        counters.byClass[statusClass] = (counters.byClass[statusClass] ?? 0) + 1;
      } catch {
        counters.failures++;
      }
      counters.total++;
      counters.latencies.push(performance.now() - started);
    }
  };

  const progress = setInterval(() => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    console.log(`[demo-load] ${counters.total} requests ${JSON.stringify(counters.byClass)}${counters.failures ? ` ${counters.failures} network errors` : ''} — ${left} s left`);
  }, 5000);
  progress.unref();
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(progress);

  const sorted = counters.latencies.sort((a, b) => a - b);
  const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(`[demo-load] done: ${counters.total} requests, p50 ${quantile(0.5).toFixed(1)} ms, p99 ${quantile(0.99).toFixed(1)} ms, ${JSON.stringify(counters.byClass)}`);

  const dashboard = await fetch(`${base}/api/performance/enhanced/dashboard`);
  if (dashboard.ok) {
    const body = (await dashboard.json()) as {
      overview?: { healthScore?: number; status?: string };
      alerts?: { active?: unknown[] | number; recent?: Array<{ message?: string }> };
      bottlenecks?: { count?: number; top3?: Array<{ title?: string }> };
      recommendations?: Array<{ title?: string; action?: string }>;
    };
    console.log(`[demo-load] health ${body.overview?.healthScore ?? '?'} (${body.overview?.status ?? '?'})`);
    const active = body.alerts?.active;
    console.log(`[demo-load] active alerts: ${Array.isArray(active) ? active.length : (active ?? 0)}`);
    for (const alert of body.alerts?.recent ?? []) console.log(`  alert: ${alert.message ?? ''}`);
    for (const bottleneck of body.bottlenecks?.top3 ?? []) console.log(`  bottleneck: ${bottleneck.title ?? ''}`);
    for (const recommendation of (body.recommendations ?? []).slice(0, 5)) console.log(`  recommendation: ${recommendation.title ?? recommendation.action ?? ''}`);
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
