import type { AnalyzerContext, Bottleneck, OperationStats, Recommendation } from '@wai/metrics-core';
import { formatMs, formatPercent, round } from './format.js';
import type { Findings } from './findings.js';
import type { ResolvedOptions } from './options.js';

type OperationClass = 'slow_query' | 'slow_redis' | 'upstream_latency';

/** Maps a source's operation kind to the bottleneck it can cause; unknown kinds are not judged. */
function classify(kind: string): OperationClass | undefined {
  const lower = kind.toLowerCase();
  if (lower.includes('redis')) return 'slow_redis';
  if (/^(db|sql|pg|postgres|postgresql|mysql|sqlite|query)\b/.test(lower) || lower.includes('sql')) return 'slow_query';
  if (/^(http|https|upstream|fetch|grpc)\b/.test(lower) || lower.includes('upstream')) return 'upstream_latency';
  return undefined;
}

const LABELS: Record<OperationClass, { noun: string; title: string }> = {
  slow_query: { noun: 'database query', title: 'Slow database query' },
  slow_redis: { noun: 'Redis command', title: 'Slow Redis command' },
  upstream_latency: { noun: 'upstream call', title: 'Slow upstream' },
};

/** Redis commands that are O(N) over the keyspace or a big value, with the usual replacement. */
const REDIS_ADVICE: Record<string, string> = {
  KEYS: 'Replace KEYS with an incremental SCAN (KEYS blocks Redis while it walks the whole keyspace)',
  SMEMBERS: 'Replace SMEMBERS on large sets with SSCAN or keep the set small',
  HGETALL: 'Fetch only the fields needed (HMGET) instead of HGETALL on large hashes',
  LRANGE: 'Bound LRANGE to the page needed instead of reading whole lists',
  FLUSHALL: 'Use FLUSHALL ASYNC or targeted deletes',
  FLUSHDB: 'Use FLUSHDB ASYNC or targeted deletes',
};

/**
 * Slow dependency calls reported through `monitor.recordOperation`: database queries (p95 ≥ `slowQueryMs`),
 * Redis commands (≥ `slowRedisMs`) and upstream HTTP calls (≥ `slowUpstreamMs`), each with ≥ `minOperations`
 * calls. Severity: critical at ≥ 10 × the threshold, warning otherwise.
 */
export function findSlowOperations(context: AnalyzerContext, options: ResolvedOptions): Findings {
  const byId = new Map<string, { bottleneck: Bottleneck; recommendation?: Recommendation; totalMs: number }>();
  for (const operation of context.operations) {
    const kind = classify(operation.kind);
    if (!kind || operation.count < options.minOperations) continue;
    const threshold = kind === 'slow_query' ? options.slowQueryMs : kind === 'slow_redis' ? options.slowRedisMs : options.slowUpstreamMs;
    const p95 = operation.latency.p95;
    if (!(p95 >= threshold)) continue;
    const id = `${kind}:${operation.name}`;
    const totalMs = operation.count * operation.latency.avg;
    // Two sources reporting the same name: keep the costlier one.
    const existing = byId.get(id);
    if (existing && existing.totalMs >= totalMs) continue;
    const label = LABELS[kind];
    const errorRate = operation.count > 0 ? operation.errors / operation.count : 0;
    const evidence = {
      kind: operation.kind,
      name: operation.name,
      count: operation.count,
      errors: operation.errors,
      errorRate: round(errorRate),
      avgMs: operation.latency.avg,
      p50Ms: operation.latency.p50,
      p95Ms: p95,
      p99Ms: operation.latency.p99,
      totalMs: Math.round(totalMs),
      thresholdMs: threshold,
    };
    const bottleneck: Bottleneck = {
      id,
      kind,
      severity: p95 >= 10 * threshold ? 'critical' : 'warning',
      title: `${label.title}: ${truncate(operation.name)}`,
      detail:
        `The ${label.noun} ${truncate(operation.name)} takes ${formatMs(p95)} at p95 (threshold ${formatMs(threshold)}) over ` +
        `${operation.count} calls${operation.errors > 0 ? `, ${formatPercent(errorRate)} failed` : ''}.`,
      evidence,
      impact: `${formatMs(totalMs)} spent in ${operation.count} calls (mean ${formatMs(operation.latency.avg)})`,
    };
    const recommendation = recommend(kind, operation, threshold, totalMs, evidence, bottleneck.severity === 'critical', options);
    byId.set(id, { bottleneck, totalMs, ...(recommendation ? { recommendation } : {}) });
  }
  const findings: Findings = { bottlenecks: [], recommendations: [] };
  for (const { bottleneck, recommendation } of byId.values()) {
    findings.bottlenecks.push(bottleneck);
    if (recommendation) findings.recommendations.push(recommendation);
  }
  return findings;
}

function recommend(
  kind: OperationClass,
  operation: OperationStats,
  threshold: number,
  totalMs: number,
  evidence: Record<string, unknown>,
  critical: boolean,
  options: ResolvedOptions,
): Recommendation | undefined {
  const name = truncate(operation.name);
  const severity = critical ? 'warning' : 'info';
  const hitRate = options.assumedCacheHitRate;
  const savedByCaching = `at a ${formatPercent(hitRate)} hit rate, ~${formatMs(totalMs * hitRate)} less waiting over these ${operation.count} calls`;
  if (kind === 'slow_query') {
    const isRead = /^\s*(select|with)\b/i.test(operation.name);
    return isRead
      ? {
          id: `cache_query:${operation.name}`,
          kind: 'cache_query',
          severity,
          title: `Cache or index the query ${name}`,
          action: `Cache the results of ${name} (createQueryCache, tagged by its tables), or add an index on the columns it filters and sorts by (check EXPLAIN ANALYZE)`,
          expectedEffect: savedByCaching,
          detail: `A read query at ${formatMs(operation.latency.p95)} p95 is repeated ${operation.count} times.`,
          evidence,
          impact: `${formatMs(totalMs)} of database time`,
        }
      : {
          id: `optimize_query:${operation.name}`,
          kind: 'optimize_query',
          severity,
          title: `Speed up the statement ${name}`,
          action: `Run EXPLAIN ANALYZE on ${name} and index the columns it filters or joins on; batch it if it runs once per row`,
          expectedEffect: `p95 ${formatMs(operation.latency.p95)} → under ${formatMs(threshold)} for these ${operation.count} calls`,
          detail: `A write or DDL statement takes ${formatMs(operation.latency.p95)} at p95.`,
          evidence,
          impact: `${formatMs(totalMs)} of database time`,
        };
  }
  if (kind === 'slow_redis') {
    const command = operation.name.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    const advice = REDIS_ADVICE[command];
    if (!advice) return undefined;
    return {
      id: `redis_command:${command}`,
      kind: 'redis_command',
      severity,
      title: `Avoid the blocking Redis command ${command}`,
      action: advice,
      expectedEffect: `p95 ${formatMs(operation.latency.p95)} → under ${formatMs(threshold)}, and no stall of other clients while it runs`,
      detail: `${command} is O(N) and Redis runs commands one at a time, so every other client waits for it.`,
      evidence,
      impact: `${formatMs(totalMs)} in ${operation.count} calls`,
    };
  }
  return {
    id: `cache_upstream:${operation.name}`,
    kind: 'cache_upstream',
    severity,
    title: `Cache or coalesce calls to ${name}`,
    action: `Cache responses of ${name} (or coalesce concurrent identical calls) and set a timeout near its p99 (${formatMs(operation.latency.p99)})`,
    expectedEffect: savedByCaching,
    detail: `The upstream ${name} answers in ${formatMs(operation.latency.p95)} at p95.`,
    evidence,
    impact: `${formatMs(totalMs)} waiting on ${name}`,
  };
}

/** Long SQL in titles is cut; the full text stays in `evidence.name` and the id. */
function truncate(text: string, max = 80): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}
