import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';
import { hasPrometheus, startPrometheus, type PrometheusHandle } from '../helpers/prometheus.js';

const DASHBOARD = fileURLToPath(new URL('../../grafana/wai-reference-server.json', import.meta.url));

interface Target {
  refId: string;
  expr: string;
}
interface Panel {
  id: number;
  title: string;
  targets?: Target[];
  datasource?: { uid?: string };
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: string | { query: string }; allValue?: string }> };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const expressions = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, refId: target.refId, expr: target.expr })));

/** What Grafana does before it sends a query: the instance variable at "All" and a rate window. */
function substitute(expr: string): string {
  const allValue = dashboard.templating.list.find((variable) => variable.name === 'instance')?.allValue ?? '.*';
  return expr.replaceAll('$instance', allValue).replaceAll('$__rate_interval', '10s');
}

describe('Grafana dashboard JSON', () => {
  it('has panels with unique ids, each querying the dashboard data source variable', () => {
    expect(dashboard.uid).toBe('wai-reference-server');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    expect(expressions.length).toBeGreaterThanOrEqual(12);
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
    }
    // Everything the issue asks the dashboard to show is there.
    const all = expressions.map((e) => e.expr).join('\n');
    for (const metric of ['http_server_request_duration_seconds_count', 'http_server_request_duration_seconds_bucket', 'http_response_status_code=~"5.."', 'wai_cache_tier_hit_ratio', 'wai_health_score', 'nodejs_eventloop_delay_p99_seconds']) {
      expect(all).toContain(metric);
    }
    expect(all).toContain('histogram_quantile(0.95, sum by (le, http_route)');
  });
});

// Every PromQL expression of the dashboard, run against a real Prometheus scraping the built server: it must parse
// and return data.
describe.runIf(hasPrometheus())('Grafana dashboard against Prometheus scraping the reference server', () => {
  let server: ServerProcess;
  let prometheus: PrometheusHandle;

  beforeAll(async () => {
    server = await startServer();
    prometheus = await startPrometheus([`127.0.0.1:${server.port}`], 500);
    // Cache hits and misses, plain reads, 5xx (thrown by the flaky demo route) for several scrapes.
    for (let round = 0; round < 8; round++) {
      await Promise.all([
        ...Array.from({ length: 5 }, () => request(`${server.url}/api/workshops/popular`)),
        ...Array.from({ length: 3 }, (_, i) => request(`${server.url}/api/workshops/${round * 3 + i + 1}`)),
        request(`${server.url}/api/demo/flaky?failRate=1`),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  afterAll(async () => {
    await prometheus?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('parses and returns data for every panel expression', async () => {
    const results = new Map<string, number>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      for (const { panel, refId, expr } of expressions) {
        // prometheus.query throws on a PromQL parse error (status "error", errorType "bad_data").
        results.set(`${panel} ${refId}`, (await prometheus.query(substitute(expr))).length);
      }
      if ([...results.values()].every((count) => count > 0) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const empty = [...results.entries()].filter(([, count]) => count === 0).map(([name]) => name);
    expect(empty).toEqual([]);
  });

  it('has the per-tier cache and per-route series the panels break down by', async () => {
    const tiers = await prometheus.query(substitute(expressions.find((e) => e.expr.startsWith('avg by (cache, tier)'))!.expr));
    expect(tiers.map((s) => s.metric.tier).sort()).toEqual(expect.arrayContaining(['l1']));
    const p95 = await prometheus.query(substitute(expressions.find((e) => e.expr.startsWith('histogram_quantile'))!.expr));
    expect(p95.map((s) => s.metric.http_route)).toEqual(expect.arrayContaining(['/api/workshops/popular', '/api/workshops/:id']));
  });

  it('resolves the instance variable from its label_values query', async () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'instance')!;
    const query = typeof variable.query === 'string' ? variable.query : variable.query!.query;
    const match = /^label_values\((\w+), (\w+)\)$/.exec(query);
    expect(match).not.toBeNull();
    const series = await prometheus.query(match![1]!);
    expect(series.map((s) => s.metric[match![2]!])).toContain(`127.0.0.1:${server.port}`);
  });
});
