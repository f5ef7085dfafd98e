import type { Finding, Severity } from '../contracts/findings.js';

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Findings (bottlenecks or recommendations) from analyzers, merged by stable id. Each analyzer's latest run
 * replaces what it reported before: an id reported again keeps its `firstSeen` and gets a new `lastSeen`; an id
 * it no longer reports is dropped. Two analyzers reporting one id share one entry (the later run's content).
 */
export class FindingRegistry<F extends Finding> {
  private readonly byAnalyzer = new Map<string, Map<string, F>>();
  private readonly firstSeen = new Map<string, number>();

  replace(analyzer: string, findings: readonly F[] | undefined, now: number): void {
    const next = new Map<string, F>();
    for (const finding of findings ?? []) {
      if (typeof finding?.id !== 'string') continue;
      const first = this.firstSeen.get(finding.id) ?? finding.firstSeen ?? now;
      this.firstSeen.set(finding.id, first);
      next.set(finding.id, { ...finding, firstSeen: first, lastSeen: now });
    }
    this.byAnalyzer.set(analyzer, next);
    this.forgetUnreported();
  }

  remove(analyzer: string): void {
    this.byAnalyzer.delete(analyzer);
    this.forgetUnreported();
  }

  private forgetUnreported(): void {
    for (const id of this.firstSeen.keys()) {
      let reported = false;
      for (const findings of this.byAnalyzer.values()) if (findings.has(id)) reported = true;
      if (!reported) this.firstSeen.delete(id);
    }
  }

  /** Merged list, most severe first, then most recent. */
  list(): F[] {
    const merged = new Map<string, F>();
    for (const findings of this.byAnalyzer.values()) {
      for (const [id, finding] of findings) {
        const existing = merged.get(id);
        if (!existing || (finding.lastSeen ?? 0) >= (existing.lastSeen ?? 0)) merged.set(id, finding);
      }
    }
    return [...merged.values()]
      .map((finding) => ({ ...finding }))
      .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (b.lastSeen ?? 0) - (a.lastSeen ?? 0));
  }
}
