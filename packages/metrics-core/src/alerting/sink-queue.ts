import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { SinkError, type AlertEvent, type AlertSink } from './alert-sink.js';

export interface RetryPolicy {
  /** First retry delay in ms. @default 500 */
  initialDelayMs?: number;
  /** Longest retry delay in ms. @default 30000 */
  maxDelayMs?: number;
  /**
   * Attempts per batch before it is dropped (counted in `failed`). @default Infinity — events leave the queue
   * only when delivered, refused permanently, or pushed out by overflow
   */
  maxAttempts?: number;
}

export interface SinkStats {
  name: string;
  /** Events waiting (including a batch in flight). */
  queued: number;
  delivered: number;
  /** Events pushed out of a full queue (oldest first). */
  dropped: number;
  /** Events given up on: refused permanently by the receiver, or out of attempts. */
  failed: number;
  retries: number;
  /** The most recent failure (kept after later successes). */
  lastError: string | undefined;
}

export interface SinkQueueOptions {
  sink: AlertSink;
  maxQueue: number;
  timeoutMs: number;
  retry: Required<RetryPolicy>;
  clock: Clock;
  logger: Logger;
  random: () => number;
}

/**
 * One sink's outbox: bounded, coalescing, retried with backoff. Events are keyed by delivery id (alert id +
 * start + status): a newer event for a key already waiting replaces it in place (the latest value is sent once,
 * not every re-send), so de-duplication keeps the queue to one entry per alert state.
 */
export class SinkQueue {
  private readonly events: AlertEvent[] = [];
  private inFlight: AlertEvent[] = [];
  private sending: Promise<void> | undefined;
  private retryTimer: TimerHandle | undefined;
  private attempt = 0;
  private closed = false;
  /** Aborts the send in flight (its timeout, or close). One per attempt: a long-lived parent signal that every
   * attempt's signal is tied to (`AbortSignal.any`) would keep each of them alive for the life of the queue. */
  private inFlightAbort: AbortController | undefined;
  private readonly counts = { delivered: 0, dropped: 0, failed: 0, retries: 0 };
  private lastError: string | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: SinkQueueOptions) {}

  add(event: AlertEvent): void {
    if (this.closed) return;
    const index = this.events.findIndex((queued) => queued.deliveryId === event.deliveryId);
    if (index >= 0) {
      this.events[index] = event;
    } else {
      this.events.push(event);
      if (this.events.length > this.options.maxQueue) {
        // Oldest first: under a long outage the newest states are the ones a person needs to see. An event in
        // flight is not in `events`, so it cannot be dropped mid-send.
        this.events.shift();
        this.counts.dropped++;
        if (this.counts.dropped === 1 || this.counts.dropped % 100 === 0) {
          this.options.logger.warn({ sink: this.options.sink.name, dropped: this.counts.dropped, maxQueue: this.options.maxQueue }, `[wai:metrics-core] alert queue of ${this.options.sink.name} is full: oldest events dropped`);
        }
      }
    }
    this.pump();
  }

  stats(): SinkStats {
    return { name: this.options.sink.name, queued: this.events.length + this.inFlight.length, ...this.counts, lastError: this.lastError };
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.events.length === 0 && this.inFlight.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying and aborts a send in flight; what is still queued is counted as dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.retryTimer?.cancel();
    this.inFlightAbort?.abort();
    this.counts.dropped += this.events.length;
    this.events.length = 0;
    this.notifyIdle(true);
  }

  private pump(): void {
    if (this.closed || this.sending || this.retryTimer || this.events.length === 0) return;
    const batch = this.events.splice(0, this.options.sink.batchSize);
    this.inFlight = batch;
    this.sending = this.deliver(batch).finally(() => {
      this.sending = undefined;
      this.inFlight = [];
      this.pump();
      this.notifyIdle(false);
    });
  }

  private async deliver(batch: AlertEvent[]): Promise<void> {
    const controller = new AbortController();
    this.inFlightAbort = controller;
    const timeout = this.options.clock.setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      await this.options.sink.send(batch, controller.signal);
      this.counts.delivered += batch.length;
      this.attempt = 0;
    } catch (error) {
      if (this.closed) return;
      this.lastError = error instanceof Error ? error.message : String(error);
      const retryable = error instanceof SinkError ? error.retryable : true;
      this.attempt++;
      if (!retryable || this.attempt >= this.options.retry.maxAttempts) {
        this.counts.failed += batch.length;
        this.attempt = 0;
        this.options.logger.error({ err: error, sink: this.options.sink.name, events: batch.length }, `[wai:metrics-core] alert delivery to ${this.options.sink.name} given up`);
        return;
      }
      // Back to the front (a newer state queued meanwhile for the same key wins), then wait before the retry.
      for (let i = batch.length - 1; i >= 0; i--) {
        const event = batch[i]!;
        if (!this.events.some((queued) => queued.deliveryId === event.deliveryId)) this.events.unshift(event);
      }
      while (this.events.length > this.options.maxQueue) {
        this.events.shift();
        this.counts.dropped++;
      }
      this.counts.retries++;
      const delay = this.backoff(error instanceof SinkError ? error.retryAfterMs : undefined);
      this.options.logger.warn({ err: error, sink: this.options.sink.name, attempt: this.attempt, retryInMs: Math.round(delay) }, `[wai:metrics-core] alert delivery to ${this.options.sink.name} failed; retrying`);
      this.retryTimer = this.options.clock.setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, delay);
    } finally {
      timeout.cancel();
      this.inFlightAbort = undefined;
    }
  }

  /**
   * Exponential backoff with "equal jitter" (half fixed, half random; AWS Architecture Blog, "Exponential
   * Backoff And Jitter", 2015): instances that lost the same receiver do not retry in step. A receiver's
   * Retry-After is a floor.
   */
  private backoff(retryAfterMs: number | undefined): number {
    const { initialDelayMs, maxDelayMs } = this.options.retry;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (this.attempt - 1));
    const delay = ceiling / 2 + (this.options.random() * ceiling) / 2;
    return Math.max(delay, retryAfterMs ?? 0);
  }

  private notifyIdle(force: boolean): void {
    if (!force && (this.events.length > 0 || this.inFlight.length > 0)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
