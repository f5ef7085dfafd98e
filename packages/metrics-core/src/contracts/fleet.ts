/**
 * The fleet: several instances publish their current window to Redis and any of them reads the merged view.
 * Units: durations in milliseconds; rates are fractions 0..1 unless the name says `Percent` (0..100).
 */
import type { Alert } from './findings.js';
import type { EndpointStats, HealthStatus, LatencySummary } from './metrics.js';

/** A DDSketch's buckets as plain data: what `QuantileSketch.exportBuckets()` gives and a decoder rebuilds. */
export interface SketchBuckets {
  /** The sketch's relative accuracy α; only sketches with the same α merge. */
  relativeAccuracy: number;
  /** Bucket index of `counts[0]`. */
  offset: number;
  /** Counts of buckets `offset .. offset + counts.length - 1`. */
  counts: ArrayLike<number>;
  zeroCount: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** One route series' current window, as the monitor exports it for publishing. */
export interface SeriesWindow {
  route: string;
  method: string;
  /** 5xx responses plus thrown errors in the window. */
  errors: number;
  aborted: number;
  /** Durations of the window's requests (`sketch.count` is the request count). */
  sketch: SketchBuckets;
}

/** Everything an instance publishes, read from the monitor in one pass (`PerformanceMonitor.exportWindow`). */
export interface WindowExport {
  timestamp: number;
  windowMs: number;
  /** Seconds the window's counts are spread over (shorter than `windowMs` right after start). */
  seconds: number;
  series: SeriesWindow[];
  health: { score: number; status: HealthStatus };
  memory: { heapUsed: number; heapLimit: number; rss: number; usagePercent: number };
  cpuPercent: number;
  eventLoop: { delayP50: number; delayP99: number; utilization: number };
}

/**
 * The Redis commands the fleet uses, written out so that metrics-core needs no Redis client: an ioredis `Redis`
 * (or `Cluster`: every key carries the namespace's hash tag, so MGET stays in one slot) fits as it is.
 */
export interface FleetRedisClient {
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number): Promise<unknown>;
  mget(keys: string[]): Promise<Array<string | null>>;
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zrangebyscore(key: string, min: number | string, max: number | string): Promise<string[]>;
  zremrangebyscore(key: string, min: number | string, max: number | string): Promise<unknown>;
  zrem(key: string, member: string): Promise<unknown>;
  pexpire(key: string, milliseconds: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** Who an instance is. */
export interface FleetInstanceIdentity {
  id: string;
  host: string;
  pid: number;
  /** Epoch ms the publisher started. */
  startedAt: number;
}

/** An endpoint's figures across the fleet (or one instance, for a drill-down): `EndpointStats` without the per-process fields. */
export interface FleetEndpointStats extends Omit<EndpointStats, 'statusClasses' | 'lastSeen'> {
  /** Instances that served this endpoint in their window. */
  instances: number;
}

/** One instance as the fleet sees it. */
export interface FleetInstanceSummary extends FleetInstanceIdentity {
  /** Epoch ms of its latest publish, and when it drops out unless it publishes again. */
  publishedAt: number;
  expiresAt: number;
  health: { score: number; status: HealthStatus };
  requestCount: number;
  errorCount: number;
  errorRate: number;
  requestsPerSecond: number;
  responseTime: { p50: number; p95: number; p99: number };
  memory: { heapUsed: number; heapLimit: number; rss: number; usagePercent: number };
  cpuPercent: number;
  eventLoopDelayP99: number;
  activeAlerts: number;
  /** Route series it folded into `__overflow__` to stay within its caps (0 normally). */
  foldedSeries: number;
}

/** An active alert with the instance that raised it. */
export interface FleetAlert extends Alert {
  instance: string;
}

/** The merged view of every live instance (or of one, with `read({ instance })`). */
export interface FleetView {
  scope: 'fleet';
  timestamp: number;
  instanceCount: number;
  /** Set when the view is one instance's drill-down. */
  instance?: string;
  requestCount: number;
  errorCount: number;
  errorRate: number;
  /** Sum of every instance's rate over its own window. */
  requestsPerSecond: number;
  /** Merged across instances: percentiles of the union of their samples (within the sketches' α). */
  responseTime: LatencySummary;
  /** Mean of the instances' scores; status `healthy` when all are, `unhealthy` when all are, else `degraded`. */
  health: { score: number; status: HealthStatus };
  endpoints: FleetEndpointStats[];
  instances: FleetInstanceSummary[];
  alerts: FleetAlert[];
  /** Ids of live instances whose value could not be decoded (left out of every figure; normally empty). */
  unreadable: string[];
}

/** What a dashboard reads the fleet through (`createFleetReader` gives one). */
export interface FleetSource {
  /** The merged view; `instance` narrows it to one instance (404 `E_NOT_FOUND` when it is not live). */
  read(options?: { instance?: string }): Promise<FleetView>;
}
