import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import type { ProfileSummary } from '../contracts/profiling.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';

const DEFAULTS = HTTP_OPTION_DEFAULTS.profileTrigger;

export interface ProfileTriggerOptions {
  monitor: PerformanceMonitor | (() => PerformanceMonitor | undefined);
  /** A request slower than this (ms) counts as a slow route. @default 1000 */
  slowRequestMs?: number;
  /** An event-loop delay p99 above this (ms) counts as a blocked loop. @default 200 */
  eventLoopDelayMs?: number;
  /** Least time between two automatic profiles (ms). @default 600000 */
  minIntervalMs?: number;
  /** Length of one profile (ms). @default 2000 */
  durationMs?: number;
  /**
   * A slow request starts a profile only when the event loop was busy for at least this share of the request's
   * duration (0–1). A request that was slow because it waited — on Redis, a lock, a remote API — leaves nothing
   * for a CPU profile to show, and taking one then would only add the profiler's own pause to an instance that
   * is already in trouble. 0 profiles every slow request. @default 0.5
   */
  minBusyShare?: number;
  /** Source of event-loop utilisation snapshots (tests pass their own). @default performance.eventLoopUtilization */
  eventLoopUtilization?: () => LoopUtilization;
  /** Called with the summary (top self-time functions) once a profile is captured. */
  onProfile?: (summary: ProfileSummary) => void;
  clock?: Clock;
  logger?: Logger;
}

/** Cumulative milliseconds the event loop spent idle and active, as `performance.eventLoopUtilization()` returns. */
export interface LoopUtilization {
  idle: number;
  active: number;
}

/** Snapshots of loop utilisation are kept at least this far apart (ms of loop time)… */
const SNAPSHOT_SPACING_MS = 250;
/** …and for this many snapshots (one minute at full spacing). */
const SNAPSHOT_COUNT = 240;

export interface ProfileTrigger {
  /** Reports a finished request; may start one profile (rate-limited) in the background. */
  observe(route: string, method: string, durationMs: number): void;
  readonly lastProfile: ProfileSummary | undefined;
  /** The monitor offers `captureProfile` (false: profiling silently does nothing). */
  readonly available: boolean;
}

/**
 * Captures one CPU profile through `monitor.captureProfile` when a route turns slow or the event loop blocks,
 * at most once per `minIntervalMs`. The monitor keeps the profile and hands it to analyzers, so its top
 * functions end up as evidence on the slow-endpoint / event-loop bottleneck.
 */
export function createProfileTrigger(options: ProfileTriggerOptions): ProfileTrigger {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const slowRequestMs = options.slowRequestMs ?? DEFAULTS.slowRequestMs;
  const eventLoopDelayMs = options.eventLoopDelayMs ?? DEFAULTS.eventLoopDelayMs;
  const minIntervalMs = options.minIntervalMs ?? DEFAULTS.minIntervalMs;
  const durationMs = options.durationMs ?? DEFAULTS.durationMs;
  const minBusyShare = options.minBusyShare ?? DEFAULTS.minBusyShare;
  if (!(minBusyShare >= 0 && minBusyShare <= 1)) {
    throw new ConfigError(`[wai:metrics-core] profiling minBusyShare must be a number from 0 to 1, got ${String(minBusyShare)}`, { details: { name: 'minBusyShare' } });
  }
  const readUtilization = options.eventLoopUtilization ?? (() => performance.eventLoopUtilization());
  // Oldest first. Taken while requests are observed (no timer): the share below covers what the loop did while
  // the slow request was in flight.
  const snapshots: LoopUtilization[] = [];
  let lastSnapshotAt = -Infinity;
  // Fast requests take a snapshot at most once per spacing of the trigger's clock: reading the loop's
  // utilisation on every request would cost the hot path for nothing.
  let lastObservedAt = -Infinity;
  const source = options.monitor;
  const resolve = typeof source === 'function' ? source : () => source;
  let lastStart = -Infinity;
  let busy = false;
  let lastProfile: ProfileSummary | undefined;

  const capture = (monitor: PerformanceMonitor, reason: string) => {
    busy = true;
    lastStart = clock.now();
    monitor
      .captureProfile({ durationMs, reason })
      .then((result) => {
        const { profile: _raw, ...summary } = result;
        lastProfile = summary;
        options.onProfile?.(summary);
      })
      .catch((error: unknown) => logger.warn({ err: error, reason }, '[wai:metrics-core] automatic CPU profile failed'))
      .finally(() => {
        busy = false;
      });
  };

  const loopTime = (at: LoopUtilization) => at.idle + at.active;

  /** Share of the last `windowMs` of loop time spent running code, from the snapshot nearest the window's start. */
  const busyShare = (now: LoopUtilization, windowMs: number): number => {
    const start = loopTime(now) - windowMs;
    let base: LoopUtilization | undefined;
    for (const snapshot of snapshots) {
      if (!base || Math.abs(loopTime(snapshot) - start) < Math.abs(loopTime(base) - start)) base = snapshot;
    }
    if (!base || base === now) return 1;
    const active = now.active - base.active;
    const total = active + now.idle - base.idle;
    return total > 0 ? active / total : 1;
  };

  const remember = (now: LoopUtilization) => {
    if (loopTime(now) - lastSnapshotAt < SNAPSHOT_SPACING_MS) return;
    lastSnapshotAt = loopTime(now);
    snapshots.push(now);
    if (snapshots.length > SNAPSHOT_COUNT) snapshots.shift();
  };

  remember(readUtilization());

  return {
    get lastProfile() {
      return lastProfile;
    },
    get available() {
      return typeof resolve()?.captureProfile === 'function';
    },
    observe(route, method, requestMs) {
      const at = clock.now();
      if (busy || at - lastStart < minIntervalMs) return;
      const monitor = resolve();
      if (!monitor || typeof monitor.captureProfile !== 'function') return;
      if (requestMs > slowRequestMs) {
        const now = readUtilization();
        const share = busyShare(now, requestMs);
        remember(now);
        if (share >= minBusyShare) {
          capture(monitor, `slow route ${method} ${route}: ${Math.round(requestMs)} ms > ${slowRequestMs} ms`);
          return;
        }
        logger.debug({ route, method, requestMs, busyShare: share }, '[wai:metrics-core] slow request waited rather than ran: no CPU profile');
      } else if (at - lastObservedAt >= SNAPSHOT_SPACING_MS) {
        lastObservedAt = at;
        remember(readUtilization());
      }
      let delay = 0;
      try {
        delay = monitor.getLoadSignal().eventLoopDelayP99;
      } catch {
        return;
      }
      if (delay > eventLoopDelayMs) capture(monitor, `event loop blocked: delay p99 ${Math.round(delay)} ms > ${eventLoopDelayMs} ms`);
    },
  };
}
