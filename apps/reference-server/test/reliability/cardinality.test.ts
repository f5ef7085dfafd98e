import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServerConfig } from '../../src/config.js';
import { createReferenceServer, type ReferenceServer } from '../../src/app.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const TOTAL = Number(process.env.CARDINALITY_REQUESTS ?? 1_000_000);
const BATCH = 200;

/** Request `i` of the run: every URL is distinct (new ids, new query strings, unknown paths). */
function urlFor(i: number): string {
  switch (i % 4) {
    case 0:
      return `/no/such/path/${i}`;
    case 1:
      return `/api/workshops/${100_000 + i}`;
    case 2:
      return `/api/workshops/x${i}`;
    default:
      return `/api/workshops/${(i % 60) + 1}?utm_source=${i}`;
  }
}

// One million distinct URLs through the whole stack (in-process, `inject`): unknown paths, unknown ids, invalid
// ids and known ids with distinct query strings (each a new response-cache key). Route series stay bounded by the
// route templates and the heap does not grow with the number of distinct URLs. On a busy 2-core machine this
// takes a few minutes; CARDINALITY_REQUESTS scales it down for a quick run.
describe('one million distinct URLs', () => {
  let server: ReferenceServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'wai-ref-card-'));

  beforeAll(async () => {
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', CACHE_L3_URL: 'off', RATE_LIMIT_MAX: '1000000000', DEMO_ROUTES: 'false', NODE_ENV: 'test' };
    server = await createReferenceServer(readServerConfig(env), env);
    await server.app.ready();
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`keeps route series bounded and heap growth under 30 MB over ${TOTAL.toLocaleString('en-US')} requests`, { timeout: 1_500_000 }, async () => {
    const app = server.app;
    const run = async (from: number, to: number) => {
      const statuses = new Map<number, number>();
      for (let start = from; start < to; start += BATCH) {
        const batch = [];
        for (let i = start; i < Math.min(to, start + BATCH); i++) batch.push(app.inject({ method: 'GET', url: urlFor(i) }));
        for (const response of await Promise.all(batch)) statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        // Let timers and immediates run: a loop that only awaits promises starves the macrotask queue, and
        // light-my-request's per-response setImmediate callbacks would pile up and look like a leak.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return statuses;
    };
    // Warm-up: fills the bounded structures (L1, sketches, series) to their steady state.
    await run(0, Math.min(100_000, TOTAL / 10));
    const heapBefore = await settledHeap();
    const started = performance.now();
    const statuses = await run(TOTAL / 10, TOTAL);
    const seconds = (performance.now() - started) / 1000;
    const heapAfter = await settledHeap();
    const growthMb = (heapAfter - heapBefore) / 1024 / 1024;

    const metrics = server.performance.monitor.getCurrentMetrics();
    const series = new Set(metrics.endpoints.map((e) => `${e.method} ${e.route}`));
    const exposition = server.performance.monitor.toPrometheus();
    const routeLabels = new Set([...exposition.matchAll(/http_route="([^"]*)"/g)].map((m) => m[1]));
    console.log(
      `[cardinality] ${TOTAL} requests (${Math.round((TOTAL * 0.9) / seconds)} req/s measured part), statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `series ${series.size} (${[...series].join(', ')}), route labels ${routeLabels.size}, heap ${(heapBefore / 1048576).toFixed(1)} → ${(heapAfter / 1048576).toFixed(1)} MB (growth ${growthMb.toFixed(1)} MB)`,
    );

    expect(statuses.get(500) ?? 0).toBe(0);
    expect(series.size).toBeLessThanOrEqual(5);
    expect(routeLabels.size).toBeLessThanOrEqual(5);
    for (const label of routeLabels) expect(label).not.toMatch(/\d{3,}|no\/such/);
    expect(growthMb).toBeLessThan(30);
  });
});
