import type { AnalyzerContext, EndpointStats, Recommendation, Severity } from '@wai/metrics-core';
import { median } from 'simple-statistics';
import { analyzeTrend } from '../trend/analyze-trend.js';
import type { Findings } from './findings.js';
import { formatMs, formatPercent, round } from './format.js';
import { hasSpan, recentPoints } from './history.js';
import type { AnalysisOptions, ResolvedOptions } from './options.js';

/** Latency of a response served from a cache, for effect estimates (an L1 hit plus serialisation). */
const CACHED_RESPONSE_MS = 1;

const CACHEABLE_METHODS = new Set(['GET', 'HEAD']);

/** `METHOD /template`, the key the monitor's per-route history uses. */
export const routeKey = (endpoint: Pick<EndpointStats, 'method' | 'route'>): string => `${endpoint.method} ${endpoint.route}`;

/**
 * Slow endpoints, judged on the snapshot window:
 * - slow: p95 ≥ `slowEndpointMs`; or p95 ≥ `minSlowEndpointMs` and either p95 ≥ `slowEndpointRatio` × the median
 *   p95 of the other judged routes, or the route takes ≥ `dominantShare` of all request time (count × mean);
 * - severity: critical when p95 ≥ 2 × `slowEndpointMs`, or p95 ≥ `slowEndpointMs` while taking ≥ `dominantShare`
 *   of request time; warning when p95 ≥ `slowEndpointMs` or ≥ `slowEndpointRatio` × the others; info when it
 *   is only dominant.
 * A slow GET/HEAD route with few errors also yields a "cache this route" recommendation.
 */
export function findSlowEndpoints(context: AnalyzerContext, options: AnalysisOptions): Findings {
  const endpoints = context.snapshot.endpoints;
  const totalTime = endpoints.reduce((sum, endpoint) => sum + endpoint.count * endpoint.responseTime.avg, 0);
  const judged = endpoints.filter((endpoint) => endpoint.count >= options.minRequests);
  const findings: Findings = { bottlenecks: [], recommendations: [] };
  if (totalTime <= 0) return findings;

  for (const endpoint of judged) {
    const key = routeKey(endpoint);
    const p95 = endpoint.responseTime.p95;
    const time = endpoint.count * endpoint.responseTime.avg;
    const share = time / totalTime;
    const others = judged.filter((other) => other !== endpoint).map((other) => other.responseTime.p95);
    const othersP95 = others.length > 0 ? median(others) : undefined;
    const ratio = othersP95 !== undefined && othersP95 > 0 ? p95 / othersP95 : undefined;
    const overAbsolute = p95 >= options.slowEndpointMs;
    const overRatio = ratio !== undefined && ratio >= options.slowEndpointRatio;
    const dominant = judged.length >= 2 && share >= options.dominantShare;
    if (!overAbsolute && !(p95 >= options.minSlowEndpointMs && (overRatio || dominant))) continue;

    const severity: Severity =
      p95 >= 2 * options.slowEndpointMs || (overAbsolute && dominant) ? 'critical' : overAbsolute || overRatio ? 'warning' : 'info';
    const trend = latencyTrend(context, key, options);
    const comparison = othersP95 === undefined ? '' : `, ${round(ratio ?? 0, 1)}× the ${formatMs(othersP95)} median of the other routes`;
    findings.bottlenecks.push({
      id: `slow_endpoint:${key}`,
      kind: 'slow_endpoint',
      severity,
      title: `Slow endpoint ${key}`,
      detail:
        `${key} answers in ${formatMs(p95)} at p95${comparison}; ` +
        `it takes ${formatPercent(share)} of all request time (${endpoint.count} requests, mean ${formatMs(endpoint.responseTime.avg)}).`,
      evidence: {
        route: endpoint.route,
        method: endpoint.method,
        count: endpoint.count,
        p50Ms: endpoint.responseTime.p50,
        p95Ms: p95,
        p99Ms: endpoint.responseTime.p99,
        avgMs: endpoint.responseTime.avg,
        shareOfTime: round(share),
        ...(othersP95 === undefined ? {} : { othersMedianP95Ms: othersP95, ratioToOthers: round(ratio ?? 0) }),
        errorRate: endpoint.errorRate,
        ...(trend ? { trend } : {}),
      },
      impact: `${formatPercent(share)} of request time (${formatMs(time)} over the last ${formatMs(context.snapshot.windowMs)})`,
      route: key,
    });

    if (CACHEABLE_METHODS.has(endpoint.method.toUpperCase()) && endpoint.errorRate < 0.05 && severity !== 'info') {
      findings.recommendations.push(cacheRouteRecommendation(endpoint, share, totalTime, severity, context.snapshot.windowMs, options));
    }
  }
  return findings;
}

function cacheRouteRecommendation(
  endpoint: EndpointStats,
  share: number,
  totalTime: number,
  severity: Severity,
  windowMs: number,
  options: ResolvedOptions,
): Recommendation {
  const key = routeKey(endpoint);
  const hitRate = options.assumedCacheHitRate;
  const avg = endpoint.responseTime.avg;
  const cachedAvg = (1 - hitRate) * avg + hitRate * Math.min(avg, CACHED_RESPONSE_MS);
  const time = endpoint.count * avg;
  const cachedTime = endpoint.count * cachedAvg;
  const cachedShare = cachedTime / (totalTime - time + cachedTime);
  return {
    id: `cache_route:${key}`,
    kind: 'cache_route',
    severity: severity === 'critical' ? 'warning' : 'info',
    title: `Cache responses of ${key}`,
    action: `Cache responses of ${key} (intelligentCache / route config cache: { ttl }) with tags for invalidation on writes`,
    expectedEffect:
      `at a ${formatPercent(hitRate)} hit rate, mean latency ${formatMs(avg)} → ~${formatMs(cachedAvg)} and the route's ` +
      `share of request time ${formatPercent(share)} → ~${formatPercent(cachedShare)}`,
    detail: `${key} is a slow read (p95 ${formatMs(endpoint.responseTime.p95)}) with ${formatPercent(endpoint.errorRate)} errors; repeated reads can be served from the cache.`,
    evidence: {
      route: endpoint.route,
      method: endpoint.method,
      count: endpoint.count,
      avgMs: avg,
      p95Ms: endpoint.responseTime.p95,
      shareOfTime: round(share),
      assumedHitRate: hitRate,
    },
    impact: `~${formatMs(time - cachedTime)} less request time over the last ${formatMs(windowMs)}`,
    route: key,
  };
}

/** The route's p95 trend over the trend window, when there is enough history to say something. */
function latencyTrend(context: AnalyzerContext, key: string, options: AnalysisOptions): Record<string, unknown> | undefined {
  const points = recentPoints(context, 'latency_p95', options.trendWindowMs, key);
  if (points.length < options.leakMinPoints || !hasSpan(points)) return undefined;
  const trend = analyzeTrend(points);
  return { direction: trend.direction, msPerHour: round(trend.slopePerHour, 2), rSquared: round(trend.rSquared), points: trend.n };
}
