import type { FleetEndpointStats, FleetView } from '@wai/metrics-core/fleet';
import { endpointRow, round, type EndpointRow, type LiveSnapshotFrame } from './dashboard-body.js';

/** A fleet endpoint row: the instance table's row plus how many instances served it. */
export interface FleetEndpointRow extends EndpointRow {
  instances: number;
}

/**
 * What the WebSocket pushes for the fleet: the snapshot frame's fields (so one renderer draws both scopes) with
 * figures merged over the instances — heap summed (`usagePercent` their mean), the worst event-loop delay, CPU
 * summed; no cache, bottlenecks or recommendations (those stay per instance) — and the instances themselves.
 */
export interface LiveFleetFrame extends Omit<LiveSnapshotFrame, 'type' | 'endpoints' | 'alerts'> {
  type: 'fleet';
  instanceCount: number;
  endpoints: FleetEndpointRow[];
  instances: FleetView['instances'];
  alerts: FleetView['alerts'];
}

/** The frame sent instead when the fleet cannot be read (Redis down): the page falls back to this instance. */
export interface LiveFleetUnavailableFrame {
  type: 'fleet';
  available: false;
  error: { code: string; message: string };
}

function row(stats: FleetEndpointStats): FleetEndpointRow {
  return { ...endpointRow(stats), instances: stats.instances };
}

export function buildFleetFrame(view: FleetView, endpointLimit: number): LiveFleetFrame {
  const { instances } = view;
  const sum = (pick: (item: FleetView['instances'][number]) => number) => instances.reduce((total, item) => total + pick(item), 0);
  const count = Math.max(1, instances.length);
  return {
    type: 'fleet',
    timestamp: view.timestamp,
    instanceCount: view.instanceCount,
    health: view.health,
    responseTime: { avg: round(view.responseTime.avg), p50: round(view.responseTime.p50), p95: round(view.responseTime.p95), p99: round(view.responseTime.p99) },
    requestsPerSecond: round(view.requestsPerSecond),
    requestCount: view.requestCount,
    errorRate: round(view.errorRate, 4),
    memory: {
      heapUsed: sum((item) => item.memory.heapUsed),
      heapLimit: sum((item) => item.memory.heapLimit),
      rss: sum((item) => item.memory.rss),
      usagePercent: round(sum((item) => item.memory.usagePercent) / count),
    },
    eventLoop: { delayP50: 0, delayP99: round(Math.max(0, ...instances.map((item) => item.eventLoopDelayP99))), utilization: 0 },
    cpuPercent: round(sum((item) => item.cpuPercent), 1),
    cacheHitRate: null,
    cache: null,
    // The view lists endpoints busiest first.
    endpoints: view.endpoints.slice(0, endpointLimit).map(row),
    endpointCount: view.endpoints.length,
    instances,
    alerts: view.alerts,
    bottlenecks: [],
    recommendations: [],
  };
}

/** `GET health?scope=fleet`: the fleet's health and each instance's. */
export function fleetHealthBody(view: FleetView): object {
  return {
    scope: 'fleet',
    timestamp: view.timestamp,
    score: view.health.score,
    status: view.health.status,
    instanceCount: view.instanceCount,
    instances: view.instances.map(({ id, host, pid, health, publishedAt, activeAlerts }) => ({ id, host, pid, score: health.score, status: health.status, publishedAt, activeAlerts })),
  };
}

/** `GET dashboard?scope=fleet`: the overview in the per-instance body's shape, plus the instances. */
export function fleetDashboardBody(view: FleetView): object {
  const critical = view.alerts.filter((alert) => alert.severity === 'critical').length;
  const instances = Math.max(1, view.instances.length);
  return {
    scope: 'fleet',
    overview: { healthScore: view.health.score, status: view.health.status, lastUpdated: new Date(view.timestamp).toISOString(), instanceCount: view.instanceCount },
    keyMetrics: {
      responseTime: round(view.responseTime.avg),
      errorRate: round(view.errorRate, 4),
      memoryUsage: round(view.instances.reduce((total, item) => total + item.memory.usagePercent, 0) / instances),
      requestsPerSecond: round(view.requestsPerSecond),
      cacheHitRate: null,
    },
    alerts: { active: view.alerts.length, critical, recent: view.alerts.slice(0, 10) },
    instances: view.instances,
  };
}

/** `GET analytics?scope=fleet`: merged endpoints. */
export function fleetAnalyticsBody(view: FleetView): object {
  return { scope: 'fleet', timestamp: view.timestamp, instanceCount: view.instanceCount, endpoints: view.endpoints };
}
