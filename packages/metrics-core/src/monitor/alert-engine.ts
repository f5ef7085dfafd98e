import type { Alert, AlertSignal } from '../contracts/findings.js';
import type { MetricsSnapshot } from '../contracts/metrics.js';
import type { AlertRule } from '../contracts/monitor.js';
import type { Logger } from '../logger.js';

/** Resolved alerts kept for `getAlerts()` (newest last). */
const RESOLVED_KEPT = 200;

export interface AlertTransitions {
  fired: Alert[];
  resolved: Alert[];
}

interface Tracked {
  alert: Alert;
  /** Rule id or `analyzer:<name>` that reported it: only its owner may resolve it. */
  owner: string;
  pendingSince: number;
}

/**
 * The state machine behind every alert (Prometheus alerting semantics): a signal that appears becomes
 * `pending`; once it has been reported continuously for the rule's `forMs` it becomes `firing` (emits `alert`);
 * when its owner stops reporting it, a firing alert becomes `resolved` (emits `alert:resolved`) and a pending one
 * is dropped quietly. Ids de-duplicate: a condition reported again updates its alert. Hysteresis is the rule's
 * job — it gets the ids currently active so it can test them against its recovery threshold instead.
 */
export class AlertEngine {
  private readonly rules = new Map<string, AlertRule>();
  private readonly active = new Map<string, Tracked>();
  private readonly resolvedAlerts: Alert[] = [];
  private readonly logger: Logger;
  private readonly defaultForMs: number;

  constructor(options: { logger: Logger; defaultForMs: number }) {
    this.logger = options.logger;
    this.defaultForMs = options.defaultForMs;
  }

  addRule(rule: AlertRule): void {
    this.rules.set(rule.id, rule);
  }

  removeRule(id: string): boolean {
    return this.rules.delete(id);
  }

  hasRule(id: string): boolean {
    return this.rules.has(id);
  }

  /** Runs every rule on the snapshot and applies the transitions. */
  evaluate(snapshot: MetricsSnapshot, now: number): AlertTransitions {
    const transitions: AlertTransitions = { fired: [], resolved: [] };
    for (const rule of this.rules.values()) {
      let signals: AlertSignal[];
      try {
        signals = rule.evaluate(snapshot, this.activeIds(rule.id));
      } catch (error) {
        // A broken rule keeps its alerts as they are rather than resolving them on a bug.
        this.logger.error({ err: error, rule: rule.id }, '[wai:metrics-core] alert rule failed');
        continue;
      }
      this.apply(rule.id, signals, rule.forMs ?? this.defaultForMs, now, transitions);
    }
    return transitions;
  }

  /** Applies the full set of conditions an owner (a rule, an analyzer) reports true now. */
  apply(owner: string, signals: readonly AlertSignal[], forMs: number, now: number, transitions: AlertTransitions): void {
    const seen = new Set<string>();
    for (const signal of signals) {
      if (seen.has(signal.id)) continue;
      seen.add(signal.id);
      const tracked = this.active.get(signal.id);
      if (tracked === undefined) {
        const alert: Alert = { ...signal, state: 'pending', startedAt: now };
        const entry: Tracked = { alert, owner, pendingSince: now };
        this.active.set(signal.id, entry);
        if (forMs <= 0) this.fire(entry, now, transitions);
        continue;
      }
      if (tracked.owner !== owner) continue;
      const alert = tracked.alert;
      alert.value = signal.value;
      alert.threshold = signal.threshold;
      alert.message = signal.message;
      alert.severity = signal.severity;
      if (signal.evidence !== undefined) alert.evidence = signal.evidence;
      if (alert.state === 'pending' && now - tracked.pendingSince >= forMs) this.fire(tracked, now, transitions);
    }
    for (const [id, tracked] of this.active) {
      if (tracked.owner !== owner || seen.has(id)) continue;
      this.active.delete(id);
      if (tracked.alert.state !== 'firing') continue;
      const resolved: Alert = { ...tracked.alert, state: 'resolved', resolvedAt: now };
      this.resolvedAlerts.push(resolved);
      if (this.resolvedAlerts.length > RESOLVED_KEPT) this.resolvedAlerts.shift();
      transitions.resolved.push(resolved);
    }
  }

  private fire(tracked: Tracked, now: number, transitions: AlertTransitions): void {
    tracked.alert.state = 'firing';
    tracked.alert.startedAt = now;
    transitions.fired.push({ ...tracked.alert });
  }

  private activeIds(owner: string): ReadonlySet<string> {
    const ids = new Set<string>();
    for (const [id, tracked] of this.active) if (tracked.owner === owner) ids.add(id);
    return ids;
  }

  /** Active (pending and firing) alerts, or those plus recently resolved ones. Copies, newest first. */
  list(activeOnly: boolean): Alert[] {
    const active = [...this.active.values()].map((tracked) => ({ ...tracked.alert }));
    const all = activeOnly ? active : [...active, ...this.resolvedAlerts.map((alert) => ({ ...alert }))];
    return all.sort((a, b) => (b.resolvedAt ?? b.startedAt) - (a.resolvedAt ?? a.startedAt));
  }

  firingCount(): { info: number; warning: number; critical: number } {
    const counts = { info: 0, warning: 0, critical: 0 };
    for (const tracked of this.active.values()) if (tracked.alert.state === 'firing') counts[tracked.alert.severity]++;
    return counts;
  }
}
