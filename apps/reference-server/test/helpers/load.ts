import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';

export interface LoadSummary {
  total: number;
  statuses: Record<string, number>;
  fiveXx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Drives `requests` (cycled per connection) at a fixed overall rate for `durationS` seconds. A fixed rate, not
 * a closed loop, so latency percentiles include the queueing a real client would see (coordinated omission
 * corrected by autocannon).
 */
export async function runLoad(url: string, requests: AutocannonRequest[], options: { durationS: number; rate: number; connections?: number }): Promise<LoadSummary> {
  const result: AutocannonResult = await autocannon({
    url,
    connections: options.connections ?? 10,
    duration: options.durationS,
    overallRate: options.rate,
    timeout: 10,
    requests,
  });
  const statuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = Number(stats.count);
  return {
    total: Object.values(statuses).reduce((sum, n) => sum + n, 0),
    statuses,
    fiveXx: result['5xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

/**
 * The traffic of the outage scenarios: cached routes (item and list reads answered from the response cache) and
 * uncached ones (`Cache-Control: no-cache` skips the response cache, so every one goes through the data cache,
 * the query cache and the tiers). Writes are left out on purpose: each would invalidate every cached read.
 */
export function mixedRequests(): AutocannonRequest[] {
  const requests: AutocannonRequest[] = [];
  for (let i = 1; i <= 20; i++) {
    requests.push({ method: 'GET', path: `/api/workshops/${(i % 5) + 1}` });
    requests.push({ method: 'GET', path: `/api/workshops?page=${(i % 3) + 1}&pageSize=10` });
    // `no-cache` skips the response cache, so these go to the data cache and the query cache every time.
    requests.push({ method: 'GET', path: `/api/workshops/${10 + i}`, headers: { 'cache-control': 'no-cache' } });
    requests.push({ method: 'GET', path: `/api/workshops/search?q=${['cache', 'node', 'sql', 'metrics'][i % 4]}`, headers: { 'cache-control': 'no-cache' } });
  }
  return requests;
}
