import { defaultMapping } from './quantile-sketch.js';
import { slotOf, type SeriesRegistry } from './series-registry.js';

/** Requests buffered by `add` before they are folded into their series (see `flush`). */
export const REQUEST_BUFFER_SIZE = 256;

/** Status class index 0..4 of a status code (out-of-range codes count as 5xx). */
function classIndex(statusCode: number): number {
  const hundreds = (statusCode / 100) | 0;
  return hundreds >= 1 && hundreds <= 5 ? hundreds - 1 : 4;
}

/**
 * The monitor's hot path: `trackEndpoint` stores each request in these parallel arrays (one slot: a few stores
 * on two or three cache lines) and `flush` folds them into their series in a batch, before any read. Updating a
 * series touches its route maps, window record, sketch and export counters — about ten cache lines that, between
 * two requests of a busy server, the network stack has evicted; in a batch they stay hot (the effect is measured
 * by `pnpm --filter @wai/metrics-core bench` and the adapters' benchmarks).
 */
export class RequestBuffer {
  private readonly routes: Array<string | undefined> = new Array<string | undefined>(REQUEST_BUFFER_SIZE).fill(undefined);
  private readonly methods: Array<string | undefined> = new Array<string | undefined>(REQUEST_BUFFER_SIZE).fill(undefined);
  private readonly durations = new Float64Array(REQUEST_BUFFER_SIZE);
  private readonly statuses = new Float64Array(REQUEST_BUFFER_SIZE);
  private count = 0;
  /** The time (and its slot) the buffered requests are recorded at: a new slot flushes the buffer first. */
  private now = 0;
  private slot = -1;

  constructor(private readonly registry: SeriesRegistry) {}

  /**
   * Buffers one request seen in `slot`. When the slot differs from the buffer's (or the buffer is full) the
   * buffer is flushed first and re-stamped with `readNow()` — read only then, so a steady stream reads no clock.
   */
  add(route: string, method: string, durationMs: number, statusCode: number, slot: number, readNow: () => number): void {
    if (slot !== this.slot || this.count === REQUEST_BUFFER_SIZE) {
      this.flush(false);
      this.now = readNow();
      this.slot = slotOf(this.now);
    }
    const index = this.count++;
    this.routes[index] = route;
    this.methods[index] = method;
    this.durations[index] = durationMs;
    this.statuses[index] = statusCode;
  }

  /** Folds the buffered requests into their series; once the monitor is `closed`, no new series are created. */
  flush(closed: boolean): void {
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    const now = this.now;
    const slot = this.slot;
    const routes = this.registry.routes;
    for (let i = 0; i < count; i++) {
      const route = this.routes[i] as string;
      const method = this.methods[i] as string;
      let series = routes.get(route)?.get(method);
      if (series === undefined) {
        if (closed) continue;
        series = this.registry.resolve(route, method, now);
      }
      const durationMs = this.durations[i]!;
      const statusCode = this.statuses[i]!;
      const duration = durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY ? durationMs : 0;
      const bucket = defaultMapping.index(duration);
      const code = statusCode >= 100 && statusCode <= 599 ? statusCode | 0 : 500;
      let isError = code >= 500;
      if (series.pendingThrown > 0) {
        // trackError already counted this request's error (an adapter calls it before the final status).
        series.pendingThrown--;
        isError = false;
      }
      series.record(slot, bucket, duration, classIndex(code), isError);
      series.observe(code, duration, bucket);
      series.count++;
      if (isError) series.errors++;
      series.lastSeen = now;
    }
  }
}
