import type { OperationStats } from '../contracts/analyzer.js';
import { defaultMapping } from './quantile-sketch.js';
import { RollingWindow, WindowView } from './rolling-window.js';
import { summarize } from './latency-summary.js';

/** Distinct (kind, name) operations tracked; further names of a kind share `__other__`. */
export const MAX_OPERATIONS = 500;
/** Operations describe the last five minutes. */
const OPERATION_RANGE_MS = 5 * 60_000;

interface OperationSeries {
  kind: string;
  name: string;
  window: RollingWindow;
  lastSeen: number;
}

/** Dependency timings reported through `monitor.recordOperation` (SQL, Redis, upstream HTTP), bounded. */
export class OperationRegistry {
  private readonly operations = new Map<string, Map<string, OperationSeries>>();
  private count = 0;
  private readonly view = new WindowView(defaultMapping);

  record(kind: string, name: string, durationMs: number, failed: boolean, slot: number, now: number): void {
    let names = this.operations.get(kind);
    let series = names?.get(name);
    if (series === undefined) {
      const key = this.count >= MAX_OPERATIONS ? '__other__' : name;
      if (!names) {
        names = new Map();
        this.operations.set(kind, names);
      }
      series = names.get(key);
      if (!series) {
        series = { kind, name: key, window: new RollingWindow(defaultMapping), lastSeen: now };
        names.set(key, series);
        this.count++;
      }
    }
    const duration = durationMs >= 0 ? durationMs : 0;
    series.window.record(slot, defaultMapping.index(duration), duration, failed ? 4 : 1, failed);
    series.lastSeen = now;
  }

  /** Stats of every operation seen in the last five minutes, slowest p95 first. */
  list(nowSlot: number): OperationStats[] {
    const stats: OperationStats[] = [];
    for (const names of this.operations.values()) {
      for (const series of names.values()) {
        this.view.reset();
        series.window.collect(nowSlot, OPERATION_RANGE_MS, this.view);
        if (this.view.sketch.count === 0) continue;
        stats.push({ kind: series.kind, name: series.name, count: this.view.sketch.count, errors: this.view.errors, latency: summarize(this.view.sketch) });
      }
    }
    return stats.sort((a, b) => b.latency.p95 - a.latency.p95);
  }

  evictIdle(before: number): void {
    for (const [kind, names] of this.operations) {
      for (const [name, series] of names) {
        if (series.lastSeen >= before) continue;
        names.delete(name);
        this.count--;
      }
      if (names.size === 0) this.operations.delete(kind);
    }
  }
}
