import { fileURLToPath } from 'node:url';
import { checkReadmeDefaults, describedOnly } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import { resolveMonitorOptions } from './monitor/performance-monitor.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('README option tables', () => {
  it("match the monitor's resolved defaults", () => {
    const resolved = resolveMonitorOptions({});
    const problems = checkReadmeDefaults(readme, {
      interval: resolved.interval,
      thresholds: describedOnly("the guide's rules; each threshold's default is in the alert-rules table below"),
      clock: describedOnly('the systemClock object'),
      logger: describedOnly('a logger that drops everything'),
      maxSeries: resolved.maxSeries,
      seriesIdleMs: resolved.seriesIdleMs,
      apdexTargetMs: resolved.apdexTargetMs,
      historyStore: resolved.historyStore,
      systemMetrics: resolved.systemMetrics,
      defaultAlertRules: resolved.defaultAlertRules,
      anomalyThreshold: resolved.analysis.anomalyThreshold,
      trendAnalysisWindow: resolved.analysis.trendAnalysisWindow,
      autoStart: resolved.autoStart,
    });
    expect(problems).toEqual([]);
  });
});
