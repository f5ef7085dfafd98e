/**
 * What the monitor measures: the metrics snapshot, health and the load signal adapters read.
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */
import type { CacheAnalytics } from './cache.js';

export interface LatencySummary {
  count: number;
  avg: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export interface EndpointStats {
  /** Route template (`/api/workshops/:id`), never a raw URL. */
  route: string;
  method: string;
  count: number;
  /** 5xx responses plus thrown errors. */
  errors: number;
  errorRate: number;
  requestsPerSecond: number;
  responseTime: LatencySummary;
  statusClasses: Partial<Record<StatusClass, number>>;
  /** Requests aborted by the client before the response finished. */
  aborted: number;
  lastSeen: number;
}

export interface MemoryStats {
  heapUsed: number;
  heapTotal: number;
  /** V8's heap size limit (`heap_size_limit`). */
  heapLimit: number;
  rss: number;
  external: number;
  /** heapUsed / heapLimit × 100. */
  usagePercent: number;
  /** Heap used right after the latest major GC (the leak signal), when known. */
  heapAfterGc?: number;
}

export interface CpuStats {
  /** Process CPU time / wall time × 100 over the last sample (can exceed 100 on several cores). */
  percent: number;
  userMs: number;
  systemMs: number;
}

export interface EventLoopStats {
  delayP50: number;
  delayP99: number;
  delayMax: number;
  /** Event-loop utilisation 0..1 over the last sample. */
  utilization: number;
}

export interface GcStats {
  /** Total GC pause time in the last sample window (ms). */
  pauseMs: number;
  count: number;
  majorCount: number;
}

export interface MetricsSnapshot {
  timestamp: number;
  /** Length of the window the request figures describe (ms), e.g. the last minute. */
  windowMs: number;
  uptimeSeconds: number;
  requestCount: number;
  errorCount: number;
  errorRate: number;
  requestsPerSecond: number;
  responseTime: LatencySummary;
  memory: MemoryStats;
  cpu: CpuStats;
  eventLoop: EventLoopStats;
  gc: GcStats;
  endpoints: EndpointStats[];
  /** Per attached cache source. */
  cache: Record<string, CacheAnalytics>;
  /** Rate-limit decisions counted since start. */
  rateLimit: { allowed: number; limited: number; shed: number };
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthComponent {
  /** 0..100 for this component. */
  score: number;
  /** Weight in the overall score (weights of present components are renormalised to sum to 1). */
  weight: number;
  value: number;
  detail: string;
}

export interface HealthReport {
  score: number;
  status: HealthStatus;
  timestamp: number;
  components: {
    latency: HealthComponent;
    errors: HealthComponent;
    memory: HealthComponent;
    eventLoop: HealthComponent;
    cache?: HealthComponent;
  };
}

/** A cheap, cached digest of current stress for adaptive limiters (updated on every sample). */
export interface LoadSignal {
  timestamp: number;
  eventLoopDelayP99: number;
  latencyP99: number;
  errorRate: number;
  healthScore: number;
  heapUsagePercent: number;
  /** Requests in flight when the adapters report them. */
  inFlight: number;
}
