/**
 * Per-request cost of @wai's OpenTelemetry bridge against the OTel SDK recording the same histogram itself, in
 * the same run. Part of `pnpm --filter @wai/metrics-core bench`; `node --import tsx bench/otel-bridge.bench.ts`
 * prints the rows alone.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { round, type BenchRow as Row } from '@wai/test-services/bench';
import { createPerformanceMonitor } from '../src/index.js';
import { createOtelBridge, HTTP_SERVER_DURATION_BUCKETS } from '../src/otel/index.js';
import { logNormalSamples, seededRandom } from '../test/random.js';
import { interleaved } from './interleaved.js';

const require = createRequire(import.meta.url);
const sdkVersion = (JSON.parse(readFileSync(require.resolve('@opentelemetry/sdk-metrics/package.json'), 'utf8')) as { version: string }).version;
const SDK = `@opentelemetry/sdk-metrics ${sdkVersion}`;

function provider(): { meterProvider: MeterProvider; close(): Promise<void> } {
  // Collected only at shutdown: the rows measure recording, not export.
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { meterProvider, close: () => meterProvider.shutdown() };
}

export async function otelBridgeCost(): Promise<Row[]> {
  // The same traffic as the trackEndpoint rows: 50 routes x 4 methods x 4 statuses, log-normal durations.
  const combos: Array<{ route: string; method: string; status: number; attributes: Record<string, string | number> }> = [];
  for (let r = 0; r < 50; r++) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      for (const status of [200, 201, 404, 500]) {
        const route = `/api/resource${r}/:id`;
        const attributes: Record<string, string | number> = { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status };
        if (status >= 500) attributes['error.type'] = String(status);
        combos.push({ route, method, status, attributes });
      }
    }
  }
  const STREAM = 8192;
  const random = seededRandom(11);
  const picks = Array.from({ length: STREAM }, () => combos[Math.floor(random() * combos.length)]!);
  const durationsMs = logNormalSamples(STREAM, Math.log(40), 1, 13);

  // Baseline: the SDK's own histogram, attributes built once per combination (its best case; the HTTP
  // instrumentation builds a new object per request).
  const direct = provider();
  const histogram = direct.meterProvider.getMeter('bench').createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: HTTP_SERVER_DURATION_BUCKETS } });
  const bridged = provider();
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  monitor.start();
  const bridge = createOtelBridge({ monitor, meterProvider: bridged.meterProvider });
  const plain = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  plain.start();

  let cursor = 0;
  const track = (target: typeof monitor) => (calls: number) => {
    for (let i = 0; i < calls; i++) {
      const k = (cursor + i) & (STREAM - 1);
      const c = picks[k]!;
      target.trackEndpoint(c.route, durationsMs[k]!, c.status, c.method);
    }
    cursor = (cursor + calls) & (STREAM - 1);
  };
  const sdk = (calls: number) => {
    for (let i = 0; i < calls; i++) {
      const k = (cursor + i) & (STREAM - 1);
      histogram.record(durationsMs[k]! / 1000, picks[k]!.attributes);
    }
    cursor = (cursor + calls) & (STREAM - 1);
  };
  const stats = interleaved({ bridge: track(monitor), sdk, plain: track(plain) }, 50_000, 31);
  bridge.close();
  await Promise.all([monitor.close(), plain.close(), direct.close(), bridged.close()]);

  const ratio = stats.bridge!.median / stats.sdk!.median;
  return [
    {
      name: 'request recorded through the OTel bridge (monitor.trackEndpoint + http.server.request.duration), 800 attribute sets',
      unit: 'ns/op',
      ours: round(stats.bridge!.median, 1),
      ours_p99: round(stats.bridge!.p99, 1),
      baseline: { name: `${SDK} Histogram.record(seconds, attributes) alone, same histogram and attributes`, value: round(stats.sdk!.median, 1) },
      competitors: [{ name: 'monitor.trackEndpoint without the bridge', value: round(stats.plain!.median, 1), p99: round(stats.plain!.p99, 1) }],
      ratio: round(ratio),
      target: '<= 1.5x the SDK recording alone (the bridge does that recording plus the monitor\'s own)',
      met: ratio <= 1.5,
      note: 'median of 31 interleaved rounds of 50,000 calls each (bridge, SDK, plain monitor, ...); p99 over rounds',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table((await otelBridgeCost()).map((row) => ({ name: row.name, ours: row.ours, baseline: row.baseline.value, plain: row.competitors?.[0]?.value, ratio: row.ratio, met: row.met })));
}
