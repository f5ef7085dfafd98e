import type { Clock, TimerHandle } from '@wai/metrics-core';
import type { BusMessage } from '../bus/messages.js';

/**
 * Bus messages that could not be published (Redis unreachable from this instance) are kept and sent again — on
 * an interval, when Redis is back, and on `close()` — instead of being dropped, after FusionCache's backplane
 * auto-recovery. Bounded: past `maxSize` messages the queue collapses into one `clear`, which makes every other
 * instance drop its L1 (the cost of overflow is misses, never stale reads).
 */
export interface BusOutbox {
  /** Publishes now, or queues the message when publishing fails or older messages are still queued (order kept). */
  send(message: BusMessage): Promise<void>;
  /** Sends what is queued, in order; stops at the first failure. True when the queue is empty. */
  flush(): Promise<boolean>;
  readonly size: number;
  /** Removes and returns what is queued (for handing it to another delivery path). */
  take(): BusMessage[];
  close(): void;
}

export interface BusOutboxOptions {
  /** Publishes one message; false (or a throw) when it could not be delivered to Redis. */
  publish(message: BusMessage): Promise<boolean>;
  clock: Clock;
  retryInterval: number;
  maxSize: number;
  /** The sender's id, for the `clear` an overflow collapses into. */
  instanceId: string;
}

export function createBusOutbox(options: BusOutboxOptions): BusOutbox {
  let queue: BusMessage[] = [];
  let timer: TimerHandle | undefined;
  let flushing: Promise<boolean> | undefined;
  let closed = false;

  const publish = (message: BusMessage) => options.publish(message).catch(() => false);
  const enqueue = (message: BusMessage) => {
    if (queue.length >= options.maxSize) queue = [{ i: options.instanceId, o: 'clear' }];
    else queue.push(message);
    if (!timer && !closed) {
      timer = options.clock.setInterval(() => void outbox.flush(), options.retryInterval);
    }
  };

  const drain = async (): Promise<boolean> => {
    while (queue.length > 0) {
      const message = queue[0]!;
      if (!(await publish(message))) return false;
      if (queue[0] === message) queue.shift();
    }
    timer?.cancel();
    timer = undefined;
    return true;
  };

  const outbox: BusOutbox = {
    async send(message) {
      if (queue.length > 0) {
        enqueue(message);
        void outbox.flush();
        return;
      }
      if (!(await publish(message))) enqueue(message);
    },
    flush() {
      flushing ??= drain().finally(() => {
        flushing = undefined;
      });
      return flushing;
    },
    get size() {
      return queue.length;
    },
    take() {
      const taken = queue;
      queue = [];
      timer?.cancel();
      timer = undefined;
      return taken;
    },
    close() {
      closed = true;
      timer?.cancel();
      timer = undefined;
    },
  };
  return outbox;
}
