import type { FleetAlert, FleetEndpointStats, FleetInstanceSummary, FleetView } from '../contracts/fleet.js';
import type { HealthStatus } from '../contracts/metrics.js';
import { summarize } from '../monitor/latency-summary.js';
import { QuantileSketch, SketchMapping, defaultMapping } from '../monitor/quantile-sketch.js';
import type { FleetPayload, RouteRow } from './fleet-payload.js';
import { decodeBuckets } from './sketch-codec.js';

interface EndpointAccumulator {
  route: string;
  method: string;
  sketch: QuantileSketch;
  errors: number;
  aborted: number;
  requestsPerSecond: number;
  instances: number;
}

function mappingFor(alpha: number): SketchMapping {
  return alpha === defaultMapping.relativeAccuracy ? defaultMapping : new SketchMapping(alpha);
}

function rowSketch(row: RouteRow, mapping: SketchMapping): QuantileSketch {
  const [, , count, , , sum, min, max, encoded] = row;
  if (count === 0) return new QuantileSketch(mapping);
  const { offset, counts, zeroCount } = decodeBuckets(encoded);
  let total = zeroCount;
  for (let k = 0; k < counts.length; k++) total += counts[k]!;
  if (total !== count) throw new RangeError('[wai:metrics-core] sketch buckets do not add up to the row count');
  // The decoded array is ours alone: the sketch takes it over rather than copying it.
  return QuantileSketch.adopt(mapping, { relativeAccuracy: mapping.relativeAccuracy, offset, counts, zeroCount, count, sum, min, max });
}

/** Every row's sketch, or undefined when one is corrupt (the whole payload is then left out). */
function decodeRows(payload: FleetPayload, mapping: SketchMapping): QuantileSketch[] | undefined {
  if (payload.alpha !== mapping.relativeAccuracy) return [];
  try {
    return payload.routes.map((row) => rowSketch(row, mapping));
  } catch {
    return undefined;
  }
}

function fleetStatus(statuses: readonly HealthStatus[]): HealthStatus {
  if (statuses.length === 0 || statuses.every((status) => status === 'healthy')) return 'healthy';
  return statuses.every((status) => status === 'unhealthy') ? 'unhealthy' : 'degraded';
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Merges the payloads of live instances: per endpoint the union of their sketches (DDSketch merges are exact,
 * so the merged percentiles are those of all samples within α), rates summed, alerts tagged with their instance.
 * Payloads of a sketch accuracy other than the first one's are left out of the merged figures (listed still).
 */
export function mergeFleet(payloads: readonly FleetPayload[], now: number, instance?: string): FleetView {
  const alpha = payloads[0]?.alpha ?? defaultMapping.relativeAccuracy;
  const mapping = mappingFor(alpha);
  const total = new QuantileSketch(mapping);
  const endpoints = new Map<string, EndpointAccumulator>();
  const instances: FleetInstanceSummary[] = [];
  const alerts: FleetAlert[] = [];
  let errorCount = 0;
  let requestsPerSecond = 0;
  // The instance's own total is the merge of its rows (overflow included): its whole window.
  const perInstance = new QuantileSketch(mapping);
  const skipped: string[] = [];
  for (const payload of payloads) {
    // Decoded before anything is merged, so a corrupt value leaves the view out whole rather than half-merged.
    const sketches = decodeRows(payload, mapping);
    if (!sketches) {
      skipped.push(payload.id);
      continue;
    }
    perInstance.clear();
    let instanceErrors = 0;
    const mergeable = payload.alpha === alpha;
    for (let index = 0; index < payload.routes.length; index++) {
      const [route, method, count, errors, aborted] = payload.routes[index]!;
      instanceErrors += errors;
      if (!mergeable) continue;
      const key = `${method} ${route}`;
      let entry = endpoints.get(key);
      const rowSketch = sketches[index]!;
      perInstance.merge(rowSketch);
      if (!entry) {
        // The first instance's row sketch becomes the endpoint's (decoded for this view alone): no copy.
        entry = { route, method, sketch: rowSketch, errors: 0, aborted: 0, requestsPerSecond: 0, instances: 0 };
        endpoints.set(key, entry);
      } else entry.sketch.merge(rowSketch);
      entry.errors += errors;
      entry.aborted += aborted;
      entry.requestsPerSecond += count / payload.seconds;
      entry.instances++;
    }
    const requestCount = payload.routes.reduce((sum, row) => sum + row[2], 0);
    const instanceRate = requestCount / payload.seconds;
    if (mergeable) {
      total.merge(perInstance);
      errorCount += instanceErrors;
      requestsPerSecond += instanceRate;
    }
    instances.push({
      id: payload.id,
      host: payload.host,
      pid: payload.pid,
      startedAt: payload.startedAt,
      publishedAt: payload.publishedAt,
      expiresAt: payload.expiresAt,
      health: payload.health,
      requestCount,
      errorCount: instanceErrors,
      errorRate: requestCount > 0 ? Math.min(1, instanceErrors / requestCount) : 0,
      requestsPerSecond: round(instanceRate),
      responseTime: { p50: perInstance.quantile(0.5), p95: perInstance.quantile(0.95), p99: perInstance.quantile(0.99) },
      memory: payload.memory,
      cpuPercent: payload.cpuPercent,
      eventLoopDelayP99: payload.eventLoop.delayP99,
      activeAlerts: payload.alerts.length,
      foldedSeries: payload.folded,
    });
    for (const alert of payload.alerts) alerts.push({ ...alert, instance: payload.id });
  }
  const requestCount = total.count;
  const endpointStats: FleetEndpointStats[] = [];
  for (const entry of endpoints.values()) {
    const count = entry.sketch.count;
    endpointStats.push({
      route: entry.route,
      method: entry.method,
      count,
      errors: entry.errors,
      errorRate: count > 0 ? Math.min(1, entry.errors / count) : entry.errors > 0 ? 1 : 0,
      requestsPerSecond: round(entry.requestsPerSecond),
      responseTime: summarize(entry.sketch),
      aborted: entry.aborted,
      instances: entry.instances,
    });
  }
  endpointStats.sort((a, b) => b.count - a.count);
  instances.sort((a, b) => a.id.localeCompare(b.id));
  const score = instances.length > 0 ? instances.reduce((sum, item) => sum + item.health.score, 0) / instances.length : 100;
  return {
    scope: 'fleet',
    timestamp: now,
    instanceCount: instances.length,
    ...(instance === undefined ? {} : { instance }),
    requestCount,
    errorCount,
    errorRate: requestCount > 0 ? Math.min(1, errorCount / requestCount) : 0,
    requestsPerSecond: round(requestsPerSecond),
    responseTime: summarize(total),
    health: { score: round(score, 1), status: fleetStatus(instances.map((item) => item.health.status)) },
    endpoints: endpointStats,
    instances,
    alerts: alerts.sort((a, b) => b.startedAt - a.startedAt),
    unreadable: skipped,
  };
}
