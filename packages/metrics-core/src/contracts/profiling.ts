/**
 * CPU profiles the monitor captures (through `node:inspector`).
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */

export interface ProfileFunction {
  functionName: string;
  url: string;
  lineNumber: number;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  id: string;
  startedAt: number;
  durationMs: number;
  reason: string;
  topFunctions: ProfileFunction[];
}

export interface ProfileResult extends ProfileSummary {
  /** The raw `.cpuprofile` JSON (Chrome DevTools format). */
  profile: unknown;
}
