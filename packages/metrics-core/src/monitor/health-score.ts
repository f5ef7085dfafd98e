import type { HealthComponent, HealthReport, HealthStatus } from '../contracts/metrics.js';

/**
 * Component weights before renormalisation. Latency and errors are what users feel, so they dominate; memory
 * and the event loop predict trouble; the cache counts only when a cache source is attached.
 */
export const HEALTH_WEIGHTS = { latency: 0.35, errors: 0.3, memory: 0.15, eventLoop: 0.1, cache: 0.1 } as const;

/** Status bands of the overall score. */
export const HEALTHY_MIN_SCORE = 80;
export const DEGRADED_MIN_SCORE = 50;

export interface HealthInputs {
  timestamp: number;
  /** Requests in the window and how many were satisfied (≤ T) and tolerating (≤ 4T). */
  requests: number;
  satisfied: number;
  tolerating: number;
  apdexTargetMs: number;
  errorRate: number;
  heapUsagePercent: number;
  eventLoopDelayP99: number;
  /** Overall hit rate of attached caches (request-weighted), absent when none is attached. */
  cacheHitRate?: number;
  thresholds: { errorRate: number; memoryPercent: number; eventLoopDelayMs: number; cacheHitRate: number };
}

/**
 * The health score (0–100) is the weighted mean of component scores, each 0–100:
 *
 * - **latency** — Apdex (Apdex Alliance, "Application Performance Index", 2007): (satisfied + tolerating / 2)
 *   / requests, with satisfied ≤ T and tolerating ≤ 4T (`apdexTargetMs`, default 500 ms); × 100. No traffic → 100.
 * - **errors** — 100 at 0 %, 50 at the error-rate alert threshold (default 5 %), 0 at twice it; linear.
 * - **memory** — heap used / heap limit: 100 up to 60 %, 50 at the memory threshold (default 80 %), 0 at 100 %.
 * - **eventLoop** — delay p99: 100 up to 20 ms, 50 at the event-loop threshold (default 200 ms), 0 at twice it.
 * - **cache** (only with a cache source) — hit rate: 100 at ≥ 90 %, 50 at the hit-rate threshold (default
 *   50 %), 0 at 0 %.
 *
 * Weights latency 0.35, errors 0.30, memory 0.15, eventLoop 0.10, cache 0.10, renormalised over the components
 * present. Status: healthy ≥ 80, degraded ≥ 50, unhealthy below.
 */
export function computeHealth(inputs: HealthInputs): HealthReport {
  const apdex = inputs.requests > 0 ? (inputs.satisfied + (inputs.tolerating - inputs.satisfied) / 2) / inputs.requests : 1;
  const { thresholds } = inputs;
  const latency = component(apdex * 100, HEALTH_WEIGHTS.latency, apdex, `Apdex ${apdex.toFixed(2)} at T = ${inputs.apdexTargetMs} ms over ${inputs.requests} requests`);
  const errors = component(
    falling(inputs.errorRate, 0, thresholds.errorRate, thresholds.errorRate * 2),
    HEALTH_WEIGHTS.errors,
    inputs.errorRate,
    `error rate ${(inputs.errorRate * 100).toFixed(2)} % (threshold ${(thresholds.errorRate * 100).toFixed(1)} %)`,
  );
  const memory = component(
    falling(inputs.heapUsagePercent, 60, thresholds.memoryPercent, 100),
    HEALTH_WEIGHTS.memory,
    inputs.heapUsagePercent,
    `heap ${inputs.heapUsagePercent.toFixed(1)} % of limit (threshold ${thresholds.memoryPercent} %)`,
  );
  const eventLoop = component(
    falling(inputs.eventLoopDelayP99, 20, thresholds.eventLoopDelayMs, thresholds.eventLoopDelayMs * 2),
    HEALTH_WEIGHTS.eventLoop,
    inputs.eventLoopDelayP99,
    `event-loop delay p99 ${inputs.eventLoopDelayP99.toFixed(1)} ms (threshold ${thresholds.eventLoopDelayMs} ms)`,
  );
  const components: HealthReport['components'] = { latency, errors, memory, eventLoop };
  if (inputs.cacheHitRate !== undefined) {
    // Rising with the hit rate: mirror it so `falling` applies to the miss rate.
    const missRate = 1 - inputs.cacheHitRate;
    components.cache = component(
      falling(missRate, 0.1, 1 - thresholds.cacheHitRate, 1),
      HEALTH_WEIGHTS.cache,
      inputs.cacheHitRate,
      `cache hit rate ${(inputs.cacheHitRate * 100).toFixed(1)} % (threshold ${(thresholds.cacheHitRate * 100).toFixed(0)} %)`,
    );
  }
  const parts = Object.values(components).filter((part): part is HealthComponent => part !== undefined);
  const totalWeight = parts.reduce((sum, part) => sum + part.weight, 0);
  let score = 0;
  for (const part of parts) {
    part.weight = part.weight / totalWeight;
    score += part.score * part.weight;
  }
  score = Math.round(score * 10) / 10;
  return { score, status: statusOf(score), timestamp: inputs.timestamp, components };
}

export function statusOf(score: number): HealthStatus {
  if (score >= HEALTHY_MIN_SCORE) return 'healthy';
  if (score >= DEGRADED_MIN_SCORE) return 'degraded';
  return 'unhealthy';
}

function component(score: number, weight: number, value: number, detail: string): HealthComponent {
  return { score: Math.round(Math.max(0, Math.min(100, score)) * 10) / 10, weight, value, detail };
}

/**
 * Piecewise-linear score of a "lower is better" value: 100 up to `good`, 50 at `threshold`, 0 at `bad`.
 * Degenerate bands (good ≥ threshold) collapse to a step at the threshold.
 */
export function falling(value: number, good: number, threshold: number, bad: number): number {
  if (!(value > good)) return 100;
  if (value <= threshold) return threshold > good ? 100 - (50 * (value - good)) / (threshold - good) : 50;
  if (value >= bad) return 0;
  return 50 - (50 * (value - threshold)) / (bad - threshold);
}
