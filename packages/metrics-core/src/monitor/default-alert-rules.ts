import type { AlertSignal, Severity } from '../contracts/findings.js';
import type { AlertRule, AlertThresholds } from '../contracts/monitor.js';

/** Thresholds with every default filled in. */
export type ResolvedThresholds = Required<AlertThresholds>;

/** The guide's thresholds, each with a lower recovery band (hysteresis). */
export function resolveThresholds(thresholds: AlertThresholds = {}, defaultForMs = 0): ResolvedThresholds {
  return {
    memoryPercent: thresholds.memoryPercent ?? 80,
    memoryRecoveryPercent: thresholds.memoryRecoveryPercent ?? Math.min(75, (thresholds.memoryPercent ?? 80) - 5),
    responseTimeMs: thresholds.responseTimeMs ?? 1000,
    responseTimeRecoveryMs: thresholds.responseTimeRecoveryMs ?? (thresholds.responseTimeMs ?? 1000) * 0.8,
    errorRate: thresholds.errorRate ?? 0.05,
    errorRateRecovery: thresholds.errorRateRecovery ?? (thresholds.errorRate ?? 0.05) * 0.6,
    cpuPercent: thresholds.cpuPercent ?? 90,
    cpuRecoveryPercent: thresholds.cpuRecoveryPercent ?? Math.min(75, (thresholds.cpuPercent ?? 90) - 10),
    eventLoopDelayMs: thresholds.eventLoopDelayMs ?? 200,
    eventLoopDelayRecoveryMs: thresholds.eventLoopDelayRecoveryMs ?? (thresholds.eventLoopDelayMs ?? 200) / 2,
    cacheHitRate: thresholds.cacheHitRate ?? 0.5,
    cacheHitRateRecovery: thresholds.cacheHitRateRecovery ?? Math.max(0.6, (thresholds.cacheHitRate ?? 0.5) + 0.1),
    forMs: thresholds.forMs ?? defaultForMs,
  };
}

/** Fewest requests in the window before rates and percentiles may alert (one slow request is not a trend). */
export const MIN_REQUESTS_FOR_ALERT = 10;
/** Fewest cache lookups before the hit rate may alert. */
export const MIN_LOOKUPS_FOR_ALERT = 50;

/**
 * "Above" check with hysteresis: an inactive condition triggers above `trigger`; an active one stays until the
 * value falls to `recovery` or below.
 */
function above(value: number, active: boolean, trigger: number, recovery: number): boolean {
  return active ? value > recovery : value > trigger;
}

function below(value: number, active: boolean, trigger: number, recovery: number): boolean {
  return active ? value < recovery : value < trigger;
}

function rule(id: string, type: string, severity: Severity, evaluate: AlertRule['evaluate']): AlertRule {
  return { id, type, severity, evaluate };
}

/** A connection state reported by a source (`monitor.reportConnection`). */
export interface ConnectionState {
  healthy: boolean;
  detail?: string;
  since: number;
  failures: number;
}

/**
 * The guide's default rules: memory > 80 %, p95 response time > 1000 ms (globally and per route), error rate
 * > 5 % (globally and per route), CPU spike, event-loop delay, cache hit-rate degradation and connection failures
 * (reported by sources, or a cache tier marked unavailable).
 */
export function createDefaultAlertRules(
  thresholds: ResolvedThresholds,
  connections: ReadonlyMap<string, ConnectionState>,
  intervalMs = 30_000,
): AlertRule[] {
  const t = thresholds;
  const percent = (value: number) => `${value.toFixed(1)} %`;
  return [
    rule('memory', 'memory', 'warning', (snapshot, active) => {
      const value = snapshot.memory.usagePercent;
      if (!above(value, active.has('memory:heap'), t.memoryPercent, t.memoryRecoveryPercent)) return [];
      return [{
        id: 'memory:heap', type: 'memory', severity: value > 90 ? 'critical' : 'warning', value, threshold: t.memoryPercent,
        message: `Heap usage ${percent(value)} of the heap limit is above ${t.memoryPercent} %`,
        evidence: { heapUsed: snapshot.memory.heapUsed, heapLimit: snapshot.memory.heapLimit, heapAfterGc: snapshot.memory.heapAfterGc },
      }];
    }),
    rule('response_time', 'response_time', 'warning', (snapshot, active) => {
      const signals: AlertSignal[] = [];
      if (snapshot.requestCount >= MIN_REQUESTS_FOR_ALERT) {
        const value = snapshot.responseTime.p95;
        if (above(value, active.has('response_time:global'), t.responseTimeMs, t.responseTimeRecoveryMs)) {
          signals.push({
            id: 'response_time:global', type: 'response_time', severity: value > t.responseTimeMs * 3 ? 'critical' : 'warning', value, threshold: t.responseTimeMs,
            message: `p95 response time is ${value.toFixed(0)} ms (fires above ${t.responseTimeMs} ms, clears below ${t.responseTimeRecoveryMs.toFixed(0)} ms)`,
          });
        }
      }
      for (const endpoint of snapshot.endpoints) {
        if (endpoint.count < MIN_REQUESTS_FOR_ALERT) continue;
        const id = `response_time:${endpoint.method} ${endpoint.route}`;
        const value = endpoint.responseTime.p95;
        if (!above(value, active.has(id), t.responseTimeMs, t.responseTimeRecoveryMs)) continue;
        signals.push({
          id, type: 'response_time', severity: value > t.responseTimeMs * 3 ? 'critical' : 'warning', value, threshold: t.responseTimeMs, route: endpoint.route,
          message: `p95 response time of ${endpoint.method} ${endpoint.route} is ${value.toFixed(0)} ms (fires above ${t.responseTimeMs} ms, clears below ${t.responseTimeRecoveryMs.toFixed(0)} ms)`,
          evidence: { p50: endpoint.responseTime.p50, p99: endpoint.responseTime.p99, count: endpoint.count },
        });
      }
      return signals;
    }),
    rule('error_rate', 'error_rate', 'critical', (snapshot, active) => {
      const signals: AlertSignal[] = [];
      if (snapshot.requestCount >= MIN_REQUESTS_FOR_ALERT && above(snapshot.errorRate, active.has('error_rate:global'), t.errorRate, t.errorRateRecovery)) {
        signals.push({
          id: 'error_rate:global', type: 'error_rate', severity: 'critical', value: snapshot.errorRate, threshold: t.errorRate,
          message: `Error rate is ${percent(snapshot.errorRate * 100)} (fires above ${percent(t.errorRate * 100)}, clears below ${percent(t.errorRateRecovery * 100)})`,
          evidence: { errors: snapshot.errorCount, requests: snapshot.requestCount },
        });
      }
      for (const endpoint of snapshot.endpoints) {
        if (endpoint.count < MIN_REQUESTS_FOR_ALERT) continue;
        const id = `error_rate:${endpoint.method} ${endpoint.route}`;
        if (!above(endpoint.errorRate, active.has(id), t.errorRate, t.errorRateRecovery)) continue;
        signals.push({
          id, type: 'error_rate', severity: 'warning', value: endpoint.errorRate, threshold: t.errorRate, route: endpoint.route,
          message: `Error rate of ${endpoint.method} ${endpoint.route} is ${percent(endpoint.errorRate * 100)} (fires above ${percent(t.errorRate * 100)}, clears below ${percent(t.errorRateRecovery * 100)})`,
          evidence: { errors: endpoint.errors, requests: endpoint.count },
        });
      }
      return signals;
    }),
    {
      // A spike is sustained load: it must hold over two consecutive samples at least (one busy interval, such
      // as start-up, is not an alert).
      ...rule('cpu', 'cpu', 'warning', (snapshot, active) => {
        const value = snapshot.cpu.percent;
        if (!above(value, active.has('cpu:process'), t.cpuPercent, t.cpuRecoveryPercent)) return [];
        return [{ id: 'cpu:process', type: 'cpu', severity: 'warning', value, threshold: t.cpuPercent, message: `CPU ${percent(value)} is above ${t.cpuPercent} %` }];
      }),
      forMs: Math.max(t.forMs, intervalMs),
    },
    rule('event_loop', 'event_loop', 'warning', (snapshot, active) => {
      const value = snapshot.eventLoop.delayP99;
      if (!above(value, active.has('event_loop:delay'), t.eventLoopDelayMs, t.eventLoopDelayRecoveryMs)) return [];
      return [{
        id: 'event_loop:delay', type: 'event_loop', severity: value > t.eventLoopDelayMs * 5 ? 'critical' : 'warning', value, threshold: t.eventLoopDelayMs,
        message: `Event-loop delay p99 ${value.toFixed(0)} ms is above ${t.eventLoopDelayMs} ms`,
        evidence: { delayP50: snapshot.eventLoop.delayP50, delayMax: snapshot.eventLoop.delayMax, utilization: snapshot.eventLoop.utilization },
      }];
    }),
    rule('cache_hit_rate', 'cache_hit_rate', 'warning', (snapshot, active) => {
      const signals: AlertSignal[] = [];
      for (const [name, cache] of Object.entries(snapshot.cache)) {
        if (cache.hits + cache.misses < MIN_LOOKUPS_FOR_ALERT) continue;
        const id = `cache_hit_rate:${name}`;
        if (!below(cache.hitRate, active.has(id), t.cacheHitRate, t.cacheHitRateRecovery)) continue;
        signals.push({
          id, type: 'cache_hit_rate', severity: 'warning', value: cache.hitRate, threshold: t.cacheHitRate,
          message: `Cache "${name}" hit rate ${percent(cache.hitRate * 100)} is below ${percent(t.cacheHitRate * 100)}`,
          evidence: { hits: cache.hits, misses: cache.misses },
        });
      }
      return signals;
    }),
    rule('connection', 'connection', 'critical', (snapshot) => {
      const signals: AlertSignal[] = [];
      for (const [source, state] of connections) {
        if (state.healthy) continue;
        signals.push({
          id: `connection:${source}`, type: 'connection', severity: 'critical', value: state.failures, threshold: 0,
          message: `Connection to ${source} is down${state.detail ? `: ${state.detail}` : ''}`,
          evidence: { since: state.since, failures: state.failures },
        });
      }
      for (const [name, cache] of Object.entries(snapshot.cache)) {
        for (const [tier, stats] of Object.entries(cache.tiers)) {
          if (stats.available !== false) continue;
          signals.push({
            id: `connection:cache:${name}:${tier}`, type: 'connection', severity: 'critical', value: stats.errors, threshold: 0,
            message: `Cache "${name}" tier ${tier} is unavailable`, evidence: { errors: stats.errors },
          });
        }
      }
      return signals;
    }),
  ];
}
