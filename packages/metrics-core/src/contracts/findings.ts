/**
 * What the monitor and analyzers report: alerts, bottlenecks and recommendations.
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */

export type Severity = 'info' | 'warning' | 'critical';

export type AlertState = 'pending' | 'firing' | 'resolved';

/** Built-in alert types; custom rules and analyzers may use their own strings. */
export type AlertType =
  | 'memory'
  | 'response_time'
  | 'error_rate'
  | 'cpu'
  | 'event_loop'
  | 'cache_hit_rate'
  | 'connection'
  | 'anomaly'
  | (string & {});

export interface Alert {
  /** Stable for one condition (rule + route/source), so repeated evaluations update rather than duplicate. */
  id: string;
  type: AlertType;
  severity: Severity;
  state: AlertState;
  message: string;
  /** The observed value that crossed the threshold (latest while firing). */
  value: number;
  threshold: number;
  route?: string;
  /** Epoch ms when the alert started firing (pending alerts: when the condition was first seen). */
  startedAt: number;
  resolvedAt?: number;
  /** Detector output, profile top functions, … — whatever explains the alert. */
  evidence?: Record<string, unknown>;
}

/** What a rule or analyzer reports for a condition that is true now; the engine turns it into an `Alert`. */
export interface AlertSignal {
  id: string;
  type: AlertType;
  severity: Severity;
  message: string;
  value: number;
  threshold: number;
  route?: string;
  evidence?: Record<string, unknown>;
}

/** Common shape of bottlenecks and recommendations. `id` is stable across analyses of the same condition. */
export interface Finding {
  id: string;
  kind: string;
  severity: Severity;
  title: string;
  /** One or two sentences for a human. */
  detail: string;
  /** The numbers behind the finding (e.g. `{ p95Ms: 840, shareOfTime: 0.62 }`). */
  evidence: Record<string, unknown>;
  /** What it costs now, or what fixing it would gain, in words with a number where one is known. */
  impact: string;
  route?: string;
  /** Epoch ms of the first and latest analysis that reported it. */
  firstSeen?: number;
  lastSeen?: number;
}

export type BottleneckKind =
  | 'slow_endpoint'
  | 'memory_leak'
  | 'slow_query'
  | 'slow_redis'
  | 'cache_inefficiency'
  | 'event_loop_blocking'
  | 'upstream_latency'
  | (string & {});

export interface Bottleneck extends Finding {
  kind: BottleneckKind;
}

export interface Recommendation extends Finding {
  /** The action to take, imperative ("Raise L1 maxSize from 1000 to 4000"). */
  action: string;
  /** The expected effect with a number where one can be estimated ("hit rate 62 % → 88 %"). */
  expectedEffect: string;
}
