import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnHttpService } from '@wai/test-services';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export function hasPrometheus(): boolean {
  return existsSync(PROMETHEUS_BIN);
}

export interface PrometheusHandle {
  url: string;
  /** Runs an instant PromQL query and returns the vector's samples. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  close(): Promise<void>;
}

/**
 * Starts a real Prometheus (Debian's `prometheus` package) with a generated config that scrapes `targets`
 * every `scrapeIntervalMs`, on a free port with a temporary TSDB directory.
 */
export async function startPrometheus(targets: string[], scrapeIntervalMs = 500): Promise<PrometheusHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wai-prom-'));
  const interval = `${scrapeIntervalMs}ms`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      'scrape_configs:',
      '  - job_name: reference-server',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const service = await spawnHttpService(
    'prometheus',
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    `${url}/-/ready`,
    dir,
  );
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`PromQL ${promql} failed: ${body.error ?? response.status}`);
      return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    close: service.stop,
  };
}
