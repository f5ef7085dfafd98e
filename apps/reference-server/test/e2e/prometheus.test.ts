import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';
import { hasPrometheus, startPrometheus, type PrometheusHandle } from '../helpers/prometheus.js';

// A real Prometheus scraping two instances: the per-instance counters add up to what was sent.
describe.runIf(hasPrometheus())('Prometheus scraping two instances', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let prometheus: PrometheusHandle;

  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(), startServer()]);
    prometheus = await startPrometheus([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], 500);
  });

  afterAll(async () => {
    await prometheus?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    a?.cleanup();
    b?.cleanup();
  });

  it('sums http_server_request_duration_seconds_count over both instances to the requests sent', async () => {
    const sentA = 23;
    const sentB = 17;
    for (let i = 0; i < sentA; i++) expect((await request(`${a.url}/api/workshops/popular`)).status).toBe(200);
    for (let i = 0; i < sentB; i++) expect((await request(`${b.url}/api/workshops/popular`)).status).toBe(200);

    const promql = 'sum(http_server_request_duration_seconds_count{http_route="/api/workshops/popular",http_request_method="GET"})';
    const perInstance = 'http_server_request_duration_seconds_count{http_route="/api/workshops/popular",http_request_method="GET"}';
    let total = 0;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const result = await prometheus.query(promql);
      total = result[0]?.value ?? 0;
      if (total === sentA + sentB) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(total).toBe(sentA + sentB);

    const series = await prometheus.query(`sum by (instance) (${perInstance})`);
    const byInstance = Object.fromEntries(series.map((s) => [s.metric.instance, s.value]));
    expect(byInstance[`127.0.0.1:${a.port}`]).toBe(sentA);
    expect(byInstance[`127.0.0.1:${b.port}`]).toBe(sentB);

    const up = await prometheus.query('sum(up{job="reference-server"})');
    expect(up[0]?.value).toBe(2);
  });
});
