import type { Analyzer, AnalyzerContext, AnalyzerResult, Bottleneck, Finding, Recommendation } from '@wai/metrics-core';
import { createAnomalyDetector } from '../detectors/anomaly-detector.js';
import { findCacheIssues } from './cache-findings.js';
import { findEventLoopBlocking } from './event-loop.js';
import type { AnalyzerRule } from './findings.js';
import { severityRank } from './format.js';
import { findMemoryLeak } from './memory-leak.js';
import { findSlowOperations } from './operations.js';
import { resolveOptions, withSettings, type AnalysisOptions, type AnomalyAnalyzerOptions, type SeriesKey } from './options.js';
import { createSeriesWatch } from './series-watch.js';
import { findSlowEndpoints } from './slow-endpoints.js';

export interface AnomalyAnalyzer extends Analyzer {
  /** Series that currently have a streaming detector (bounded by `maxSeries`). */
  watchedSeries(): number;
  close(): void;
}

const RULES: readonly AnalyzerRule[] = [
  findSlowEndpoints,
  findMemoryLeak,
  findSlowOperations,
  findCacheIssues,
  findEventLoopBlocking,
];

/**
 * The analyzer `@wai/anomaly` plugs into the monitor (`monitor.use(createAnomalyAnalyzer())`). On every sample it
 * feeds new history points to one streaming detector per watched series (anomalies become `anomaly` alerts with
 * the detector's evidence) and re-derives bottlenecks and recommendations from the snapshot, the history, the
 * caches' analytics, the reported operations and recent CPU profiles. Finding ids are stable
 * (`slow_endpoint:GET /api/x`, `memory_leak:heap`, `cache_ttl:main:user:`), so a repeated analysis updates a
 * finding (`firstSeen` is kept, `lastSeen` moves) rather than duplicating it; a finding no longer reported is gone.
 */
export function createAnomalyAnalyzer(options: AnomalyAnalyzerOptions = {}): AnomalyAnalyzer {
  const resolved = resolveOptions(options);
  const factory = resolved.detectorFactory;
  // The sensitivity is read when a series' detector is made: the monitor's settings do not change while it runs.
  const makeDetector = (key: SeriesKey, analysis: AnalysisOptions) => {
    const settings = analysis.anomalyThreshold === undefined ? {} : { anomalyThreshold: analysis.anomalyThreshold };
    return factory ? factory(key, settings) : createAnomalyDetector(settings);
  };
  const watch = createSeriesWatch(resolved, makeDetector);
  const firstSeen = new Map<string, number>();
  let closed = false;

  /** Dedupes by id (the most severe wins), stamps firstSeen/lastSeen and orders most severe first. */
  function stamp<T extends Finding>(findings: T[], now: number, seen: Set<string>): T[] {
    const byId = new Map<string, T>();
    for (const finding of findings) {
      const existing = byId.get(finding.id);
      if (!existing || severityRank(finding.severity) > severityRank(existing.severity)) byId.set(finding.id, finding);
    }
    const stamped = [...byId.values()].map((finding) => {
      const key = `${finding.kind}|${finding.id}`;
      seen.add(key);
      const first = firstSeen.get(key) ?? now;
      firstSeen.set(key, first);
      return { ...finding, firstSeen: first, lastSeen: now };
    });
    return stamped.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
  }

  return {
    name: resolved.name,
    analyze(context: AnalyzerContext): AnalyzerResult {
      if (closed) return {};
      const analysis = withSettings(resolved, context.settings);
      const bottlenecks: Bottleneck[] = [];
      const recommendations: Recommendation[] = [];
      for (const rule of RULES) {
        try {
          const found = rule(context, analysis);
          bottlenecks.push(...found.bottlenecks);
          recommendations.push(...found.recommendations);
        } catch (error) {
          // One rule tripping over odd source data must not hide the others' findings.
          context.logger.warn({ err: error, analyzer: resolved.name, rule: rule.name }, '[wai:anomaly] analyzer rule failed');
        }
      }
      let alerts: AnalyzerResult['alerts'] = [];
      try {
        alerts = watch.update(context, analysis);
      } catch (error) {
        context.logger.warn({ err: error, analyzer: resolved.name }, '[wai:anomaly] anomaly watch failed');
      }
      const seen = new Set<string>();
      const result = {
        bottlenecks: stamp(bottlenecks, context.now, seen),
        recommendations: stamp(recommendations, context.now, seen),
        alerts,
      };
      for (const key of firstSeen.keys()) if (!seen.has(key)) firstSeen.delete(key);
      return result;
    },
    watchedSeries: () => watch.size(),
    close(): void {
      closed = true;
      watch.clear();
      firstSeen.clear();
    },
  };
}
