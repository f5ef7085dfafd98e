import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import type { ProfileSummary } from '../contracts/profiling.js';

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
  /** Called with the summary (top self-time functions) once a profile is captured. */
  onProfile?: (summary: ProfileSummary) => void;
  clock?: Clock;
  logger?: Logger;
}

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
  const slowRequestMs = options.slowRequestMs ?? 1000;
  const eventLoopDelayMs = options.eventLoopDelayMs ?? 200;
  const minIntervalMs = options.minIntervalMs ?? 600_000;
  const durationMs = options.durationMs ?? 2000;
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

  return {
    get lastProfile() {
      return lastProfile;
    },
    get available() {
      return typeof resolve()?.captureProfile === 'function';
    },
    observe(route, method, requestMs) {
      if (busy || clock.now() - lastStart < minIntervalMs) return;
      const monitor = resolve();
      if (!monitor || typeof monitor.captureProfile !== 'function') return;
      if (requestMs > slowRequestMs) {
        capture(monitor, `slow route ${method} ${route}: ${Math.round(requestMs)} ms > ${slowRequestMs} ms`);
        return;
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
