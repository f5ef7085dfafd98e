import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../logger.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';

export interface RequestTrackerOptions {
  /** The monitor to report to, or a function returning it (resolved per request, so a default can be set later). */
  monitor?: PerformanceMonitor | (() => PerformanceMonitor | undefined);
  /** Monotonic milliseconds. @default performance.now */
  now?: () => number;
  logger?: Logger;
}

/** One request's timing: phases for `Server-Timing`, and exactly one report to the monitor. */
export interface RequestTrack {
  readonly startedAt: number;
  /** Milliseconds since the request started. */
  elapsed(): number;
  /** Ends a phase named `name` (a token, e.g. `cache`, `ratelimit`) at the current time. */
  mark(name: string): void;
  /** Remembers a thrown error; `finish` then reports it. */
  fail(error: unknown): void;
  readonly failed: boolean;
  /** Reports the finished request (first call wins) and returns its duration in ms. */
  finish(route: string, method: string, statusCode: number): number;
  /** Reports an aborted request (first call wins). */
  abort(route: string, method: string): void;
  /** `Server-Timing` value (RFC: W3C Server Timing) with the phases so far and `total`. */
  serverTiming(): string;
}

// The module's `performance`, not the global one: in Node 20 the global is a lazy getter, and reading it on every
// call made a clock read about 45 ns (a third) slower, twice per request.
const defaultNow = (): number => performance.now();

/** What all requests timed the same way share: one reference per request instead of three fields. */
export interface RequestTimingContext {
  readonly monitor: PerformanceMonitor | undefined;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  readonly logger: Logger;
}

/** A context for `RequestTiming`: `now` defaults to `performance.now`, `logger` to silent. */
export function requestTimingContext(monitor: PerformanceMonitor | undefined, options: { now?: () => number; logger?: Logger } = {}): RequestTimingContext {
  return { monitor, now: options.now ?? defaultNow, logger: options.logger ?? silentLogger };
}

/**
 * One request's timing, the `RequestTrack` that `createRequestTracker().start()` returns. Exported so an adapter
 * can extend it with its own per-request fields and allocate one object per request instead of two; an
 * adapter's context may carry more than `RequestTimingContext` (its subclass reads it back as `context`).
 */
export class RequestTiming implements RequestTrack {
  readonly startedAt: number;
  failed = false;
  private error: unknown = undefined;
  private done = false;
  private last: number;
  private phases: Array<[string, number]> | undefined = undefined;

  constructor(protected readonly context: RequestTimingContext) {
    this.startedAt = context.now();
    this.last = this.startedAt;
    const monitor = context.monitor;
    if (monitor) {
      try {
        monitor.requestStarted();
      } catch (error) {
        this.report(error);
      }
    }
  }

  elapsed(): number {
    return this.context.now() - this.startedAt;
  }

  mark(name: string): void {
    const at = this.context.now();
    const phases = (this.phases ??= []);
    // A phase met twice (an app-wide rate limit and a router's own) is one Server-Timing metric with the total:
    // a repeated name would leave clients to pick one of two values.
    const earlier = phases.find((phase) => phase[0] === name);
    if (earlier) earlier[1] += at - this.last;
    else phases.push([name, at - this.last]);
    this.last = at;
  }

  fail(error: unknown): void {
    this.failed = true;
    this.error = error;
  }

  finish(route: string, method: string, statusCode: number): number {
    const duration = this.context.now() - this.startedAt;
    if (this.done) return duration;
    this.done = true;
    const monitor = this.context.monitor;
    if (monitor) {
      // Inline try/catch rather than a guard(closure): this runs once per request and should not allocate.
      try {
        if (this.failed) monitor.trackError(route, method, this.error);
        monitor.trackEndpoint(route, duration, statusCode, method);
        monitor.requestFinished();
      } catch (error) {
        this.report(error);
      }
    }
    return duration;
  }

  abort(route: string, method: string): void {
    if (this.done) return;
    this.done = true;
    const monitor = this.context.monitor;
    if (monitor) {
      try {
        monitor.trackAborted(route, method);
        monitor.requestFinished();
      } catch (error) {
        this.report(error);
      }
    }
  }

  serverTiming(): string {
    let value = '';
    if (this.phases) for (const [name, duration] of this.phases) value += `${name};dur=${duration.toFixed(2)}, `;
    return `${value}total;dur=${this.elapsed().toFixed(2)}`;
  }

  /** A broken monitor must never break a request: log and carry on. */
  private report(error: unknown): void {
    this.context.logger.warn({ err: error }, '[wai:metrics-core] monitor call failed while tracking a request');
  }
}

export interface RequestTracker {
  start(): RequestTrack;
}

/**
 * Request timing shared by the adapters: a monotonic start, optional phases for `Server-Timing`, and exactly
 * one of finish/abort reported to the monitor (`requestStarted` / `requestFinished` bracket the in-flight count).
 */
export function createRequestTracker(options: RequestTrackerOptions = {}): RequestTracker {
  const now = options.now ?? defaultNow;
  const logger = options.logger ?? silentLogger;
  const source = options.monitor;
  if (typeof source !== 'function') {
    const context = requestTimingContext(source, { now, logger });
    return { start: () => new RequestTiming(context) };
  }
  // Resolved per request (a default monitor may be set later); the context is rebuilt only when it changes.
  let context = requestTimingContext(undefined, { now, logger });
  return {
    start: () => {
      const monitor = source();
      if (monitor !== context.monitor) context = requestTimingContext(monitor, { now, logger });
      return new RequestTiming(context);
    },
  };
}
