import { createPerformanceMonitor, WaiError, type AnalyzerContext, type AnalyzerResult, type HistoryPoint } from '@wai/metrics-core';
import { createFakeClock } from '@wai/metrics-core/testing';
import { describe, expect, it } from 'vitest';
import { createAnomalyAnalyzer } from '../src/analyzer/create-anomaly-analyzer.js';
import type { StreamingDetector } from '../src/detector-types.js';
import { createAnomalyDetector } from '../src/detectors/anomaly-detector.js';
import { createRobustZScoreDetector } from '../src/detectors/robust-z-score.js';
import { MB, T0, noise, points, syntheticMonitor } from './analyzer-fixtures.js';

/** Latency around 80 ms with Gaussian noise (σ = 4 ms, Box–Muller over the fixture's uniform noise). */
function steadyLatency(seed: number): () => number {
  const random = noise(seed);
  return () => 80 + 4 * Math.sqrt(-2 * Math.log((1 - random()) / 2)) * Math.cos(Math.PI * random());
}

/** 600 global p95 points every 30 s (the analyzer's backfill) whose newest one is `bump` ms. */
function bumpedLatency(bump: number): HistoryPoint[] {
  const steady = steadyLatency(8);
  return points(600, T0, 30_000, (i) => (i === 599 ? bump : steady()));
}

/** Anomaly alert ids of one analysis of `series` by a fresh analyzer, under the monitor's `settings`. */
function alertsFor(series: HistoryPoint[], settings: AnalyzerContext['settings'], options: Parameters<typeof createAnomalyAnalyzer>[0] = {}): string[] {
  const monitor = syntheticMonitor();
  monitor.add('latency_p95', series);
  const result = createAnomalyAnalyzer(options).analyze(monitor.context(settings === undefined ? {} : { settings })) as AnalyzerResult;
  expect(monitor.logger.warnings).toEqual([]);
  return (result.alerts ?? []).map((alert) => alert.id);
}

const errorOf = (call: () => unknown): string => {
  try {
    call();
  } catch (error) {
    if (WaiError.isInstance(error)) return `${error.code} ${error.message}`;
    throw error;
  }
  return 'no error';
};

describe("the monitor's anomalyThreshold", () => {
  it('a p95 of 99 ms after 5 h around 80 ± 4 ms alerts at 1.5 σ and 2 σ, not at 3 σ nor with the default', () => {
    const series = bumpedLatency(99);
    expect(alertsFor(series, { anomalyThreshold: 1.5 })).toEqual(['anomaly:latency_p95']);
    expect(alertsFor(series, { anomalyThreshold: 2 })).toEqual(['anomaly:latency_p95']);
    expect(alertsFor(series, { anomalyThreshold: 3 })).toEqual([]);
    expect(alertsFor(series, {})).toEqual([]);
    expect(alertsFor(series, undefined)).toEqual([]);
  });

  it('a larger bump (104 ms) reaches 3 σ too, and only a much larger one (130 ms) the default alarm level', () => {
    expect(alertsFor(bumpedLatency(104), { anomalyThreshold: 3 })).toEqual(['anomaly:latency_p95']);
    expect(alertsFor(bumpedLatency(104), {})).toEqual([]);
    expect(alertsFor(bumpedLatency(130), {})).toEqual(['anomaly:latency_p95']);
  });

  it('at k = alarmZ (6.3) the detector flags exactly what the default does: k is a z on the calibration of its score', () => {
    const flags = (detector: StreamingDetector): number[] => {
      const steady = steadyLatency(3);
      // Every 600 points a bump, alternately mild (≈ +5 σ) and large (≈ +14 σ).
      const bumps = [100, 135, 102, 140, 104];
      const flagged: number[] = [];
      for (let i = 0; i < 3000; i += 1) {
        const value = i % 600 === 599 ? (bumps[(i - 599) / 600] as number) : steady();
        if (detector.update(value, T0 + i * 30_000).isAnomaly) flagged.push(i);
      }
      return flagged;
    };
    const byDefault = flags(createAnomalyDetector());
    expect(byDefault.length).toBeGreaterThan(0);
    expect(flags(createAnomalyDetector({ anomalyThreshold: 6.3 }))).toEqual(byDefault);
    const sensitive = flags(createAnomalyDetector({ anomalyThreshold: 2 }));
    expect(sensitive.length).toBeGreaterThan(byDefault.length);
    expect(sensitive).toEqual(expect.arrayContaining(byDefault));
  });

  it("an alert's evidence names the sensitivity its detector used", () => {
    const monitor = syntheticMonitor();
    monitor.add('latency_p95', bumpedLatency(99));
    const result = createAnomalyAnalyzer().analyze(monitor.context({ settings: { anomalyThreshold: 1.5 } })) as AnalyzerResult;
    expect(result.alerts?.[0]?.evidence).toMatchObject({ anomalyThreshold: 1.5, direction: 'above' });
    const byDefault = syntheticMonitor();
    byDefault.add('latency_p95', bumpedLatency(130));
    const evidence = (createAnomalyAnalyzer().analyze(byDefault.context()) as AnalyzerResult).alerts?.[0]?.evidence;
    expect(evidence).toBeDefined();
    expect(evidence).not.toHaveProperty('anomalyThreshold');
  });

  it("the analyzer's own anomalyThreshold wins over the monitor's", () => {
    const series = bumpedLatency(99);
    expect(alertsFor(series, { anomalyThreshold: 1.5 }, { anomalyThreshold: 3 })).toEqual([]);
    expect(alertsFor(series, { anomalyThreshold: 3 }, { anomalyThreshold: 1.5 })).toEqual(['anomaly:latency_p95']);
    expect(alertsFor(series, {}, { anomalyThreshold: 1.5 })).toEqual(['anomaly:latency_p95']);
  });

  it('reaches a detectorFactory, which decides what to do with it', () => {
    const seen: unknown[] = [];
    const detectorFactory = (_key: unknown, settings: { anomalyThreshold?: number }): StreamingDetector => {
      seen.push(settings);
      return createRobustZScoreDetector({ alarmZ: settings.anomalyThreshold ?? 5 });
    };
    alertsFor(bumpedLatency(99), { anomalyThreshold: 2 }, { detectorFactory });
    alertsFor(bumpedLatency(99), {}, { detectorFactory });
    expect(seen).toEqual([{ anomalyThreshold: 2 }, {}]);
  });

  it('through a real monitor: a p95 of 109 ms after 5 h of requests at 80 ± 4 ms alerts at the development (1.5) and production (2) sensitivity, not at 3 or unset', async () => {
    /** Anomaly alerts fired by a monitor with this anomalyThreshold over 620 samples 30 s apart, sample 610 at 109 ms. */
    async function alertsOfMonitor(anomalyThreshold: number | undefined): Promise<string[]> {
      const clock = createFakeClock();
      const monitor = createPerformanceMonitor({
        clock, interval: 30_000, systemMetrics: false, defaultAlertRules: false, ...(anomalyThreshold === undefined ? {} : { anomalyThreshold }),
      });
      monitor.use(createAnomalyAnalyzer({ watchPerRoute: [] }));
      const fired: string[] = [];
      monitor.on('alert', (alert) => fired.push(`${alert.id}@${alert.value}`));
      const steady = steadyLatency(8);
      for (let sample = 0; sample < 620; sample += 1) {
        const latencyMs = sample === 610 ? 109 : steady();
        for (let request = 0; request < 5; request += 1) monitor.trackEndpoint('/api/x', latencyMs, 200);
        clock.advance(30_000);
        await monitor.sample();
      }
      await monitor.close();
      return fired;
    }
    // The p95 of the last minute holds the 109 ms requests for two samples; the onset alarms on the first.
    expect(await alertsOfMonitor(1.5)).toEqual([expect.stringMatching(/^anomaly:latency_p95@10\d/)]);
    expect(await alertsOfMonitor(2)).toEqual([expect.stringMatching(/^anomaly:latency_p95@10\d/)]);
    expect(await alertsOfMonitor(3)).toEqual([]);
    expect(await alertsOfMonitor(undefined)).toEqual([]);
  });

  it('flows from createPerformanceMonitor({ anomalyThreshold }) to the detectors of a real monitor', async () => {
    const seen: unknown[] = [];
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false, anomalyThreshold: 1.5, trendAnalysisWindow: 900_000 });
    monitor.use(createAnomalyAnalyzer({ detectorFactory: (_key, settings) => (seen.push(settings), createAnomalyDetector(settings)) }));
    monitor.trackEndpoint('/api/x', 20, 200);
    clock.advance(1000);
    await monitor.sample();
    expect(seen.length).toBeGreaterThan(0);
    for (const settings of seen) expect(settings).toEqual({ anomalyThreshold: 1.5 });
    await monitor.close();
  });
});

describe("the monitor's trendAnalysisWindow", () => {
  // Heap after GC falls from 420 to 300 MB over 45 min (a cache draining after a deploy), then rises 3 MB/min
  // for the last 15 min: a fresh leak that an hour-long fit averages away.
  const monitor = syntheticMonitor();
  const random = noise(11);
  monitor.add('heap_after_gc', points(121, T0, 30_000, (i) => (i <= 90 ? 420 * MB - (i / 90) * 120 * MB : 300 * MB + (i - 90) * 1.5 * MB) + random() * MB));
  const leakIn = (settings: NonNullable<AnalyzerContext['settings']>, options: Parameters<typeof createAnomalyAnalyzer>[0] = {}) => {
    const result = createAnomalyAnalyzer(options).analyze(monitor.context({ settings })) as AnalyzerResult;
    expect(monitor.logger.warnings).toEqual([]);
    return result.bottlenecks?.find((finding) => finding.id === 'memory_leak:heap');
  };

  it('a 15 min window sees the recent rise as a leak; the 60 min window (and the default) does not', () => {
    const leak = leakIn({ trendAnalysisWindow: 15 * 60_000 });
    expect(leak).toBeDefined();
    expect(leak?.evidence['windowMs']).toBe(15 * 60_000);
    expect(leak?.evidence['growthBytesPerHour'] as number).toBeGreaterThan(150 * MB);
    expect(leak?.evidence['growthBytesPerHour'] as number).toBeLessThan(210 * MB);
    expect(leakIn({ trendAnalysisWindow: 60 * 60_000 })).toBeUndefined();
    expect(leakIn({})).toBeUndefined();
  });

  it("the analyzer's own trendWindowMs wins over the monitor's", () => {
    expect(leakIn({ trendAnalysisWindow: 60 * 60_000 }, { trendWindowMs: 15 * 60_000 })).toBeDefined();
    expect(leakIn({ trendAnalysisWindow: 15 * 60_000 }, { trendWindowMs: 60 * 60_000 })).toBeUndefined();
  });
});

describe('configuration errors', () => {
  it('the analyzer refuses a bad anomalyThreshold or trendWindowMs, and anomalyThreshold beside a detectorFactory', () => {
    for (const anomalyThreshold of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(errorOf(() => createAnomalyAnalyzer({ anomalyThreshold }))).toMatch(/^E_CONFIG_INVALID .*option anomalyThreshold must be a finite number of standard deviations > 0/);
    }
    expect(errorOf(() => createAnomalyAnalyzer({ trendWindowMs: 0 }))).toMatch(/^E_CONFIG_INVALID .*option trendWindowMs must be/);
    expect(errorOf(() => createAnomalyAnalyzer({ anomalyThreshold: 2, detectorFactory: () => createAnomalyDetector() }))).toMatch(
      /^E_CONFIG_INVALID .*anomalyThreshold must be left unset when detectorFactory is given/,
    );
  });

  it('a hand-built context with a malformed setting is refused, naming it', () => {
    const monitor = syntheticMonitor();
    const analyzer = createAnomalyAnalyzer();
    expect(errorOf(() => analyzer.analyze(monitor.context({ settings: { anomalyThreshold: -2 } })))).toMatch(/^E_CONFIG_INVALID .*anomalyThreshold \(monitor setting\)/);
    expect(errorOf(() => analyzer.analyze(monitor.context({ settings: { trendAnalysisWindow: Number.NaN } })))).toMatch(/^E_CONFIG_INVALID .*trendAnalysisWindow \(monitor setting\)/);
  });

  it('createAnomalyDetector refuses a bad anomalyThreshold, and anomalyThreshold together with threshold', () => {
    for (const anomalyThreshold of [0, -3, Number.NaN]) {
      expect(errorOf(() => createAnomalyDetector({ anomalyThreshold }))).toMatch(/^E_CONFIG_INVALID .*option `anomalyThreshold` must be a finite number > 0/);
    }
    expect(errorOf(() => createAnomalyDetector({ anomalyThreshold: 2, threshold: 0.4 }))).toMatch(/^E_CONFIG_INVALID .*give `anomalyThreshold` .* or `threshold`/);
  });
});
