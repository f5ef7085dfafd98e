import type { HealthReport, MetricsSnapshot, PerformanceMonitor } from '@wai/metrics-core';

/** A snapshot and the health report computed at the same moment. */
export interface Readings {
  snapshot: MetricsSnapshot;
  health: HealthReport;
}

/**
 * Shares one set of readings between the routes and live frames of a mount for a short time.
 * `monitor.getCurrentMetrics()` and `getHealth()` each walk every route series (tens of milliseconds with
 * thousands of routes), while a dashboard is read by many viewers, probed by load balancers and pushed every
 * second: recomputing per request would make the dashboard the busiest consumer of the monitor.
 * Holds no resources (no listener, no timer).
 */
export function createSnapshotSource(monitor: PerformanceMonitor, maxAgeMs: number): () => Readings {
  let cached: Readings | undefined;
  let takenAt = Number.NEGATIVE_INFINITY;
  return () => {
    const now = performance.now();
    if (cached === undefined || now - takenAt >= maxAgeMs) {
      cached = { snapshot: monitor.getCurrentMetrics(), health: monitor.getHealth() };
      takenAt = now;
    }
    return cached;
  };
}
