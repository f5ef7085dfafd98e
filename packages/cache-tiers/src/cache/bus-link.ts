import type { Clock, Logger } from '@wai/metrics-core';
import { createRedisPubSub, type PubSub } from '../bus/redis-pubsub.js';
import { parseBusMessage, type BusMessage } from '../bus/messages.js';
import type { RedisTier } from '../l2/redis-tier.js';
import type { SyncCacheTier } from '../tier.js';
import type { FillGuard } from './fill-guard.js';
import type { RemoteTier } from './remote-tier.js';

/**
 * This instance's end of the invalidation bus and of the lease announcements, over one subscriber connection:
 * it applies what other instances announce (drop the L1 copy; mark, hold or release the guard) and acknowledges
 * it, and it publishes this instance's messages and waits for the others' acknowledgements.
 */
export interface BusLink {
  /** Resolves once the subscriptions are in place (or have failed and been reported). */
  readonly ready: Promise<void>;
  /** True while the subscriber connection is up (messages can be missed otherwise). */
  readonly connected: boolean;
  /**
   * True when delivered to Redis (or when there is no bus). A hold, or a message without a write id, then waits —
   * at most `ackTimeout` — until every other instance that received it has applied it.
   */
  publish(message: BusMessage): Promise<boolean>;
  /** Announces that this instance let go of a key's load lease. */
  announceLease(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface BusLinkOptions {
  redis: RedisTier;
  /** The Redis tier as the cache drives it (timeouts, circuit). */
  slot: RemoteTier;
  instanceId: string;
  bus: boolean;
  lease: boolean;
  guard: FillGuard;
  l1: SyncCacheTier | undefined;
  /** Ms a hold announced by another instance lasts at most. */
  holdTimeout: number;
  ackTimeout: number;
  writeTimeout: number;
  clock: Clock;
  logger: Logger;
  reportError(error: unknown): void;
  /** Another instance let go of `key`'s lease. */
  onLeaseReleased(key: string): void;
  /** The subscriber came back after a gap (messages may have been missed). */
  onReconnect(): void;
}

export function createBusLink(options: BusLinkOptions): BusLink {
  const { redis, slot, instanceId, guard, l1, clock, logger, reportError } = options;
  const busChannel = redis.keys.channel('bus');
  const leaseChannel = redis.keys.channel('lease');
  const ackChannel = (instance: string) => redis.keys.channel(`ack:${instance}`);
  const acks = createBusAcks(clock);
  let sequence = 0;

  const pubsub: PubSub = createRedisPubSub(redis, {
    onReconnect: () => {
      // Messages sent while we were away are lost: drop everything L1 holds rather than serve it stale, and
      // refuse the fills begun before the gap (they may have read what a lost message invalidated).
      if (options.bus && l1) {
        guard.markAll();
        void l1.clear();
      }
      options.onReconnect();
    },
    onError: reportError,
  });

  const apply = (message: BusMessage) => {
    const target = message.o === 'set' || message.o === 'delete' ? { key: message.k } : message.o === 'tag' ? { tag: message.t } : {};
    if (message.w !== undefined) {
      if (message.h === 1) guard.hold(message.w, target, clock.monotonic() + options.holdTimeout);
      else guard.release(message.w);
    } else if (target.key !== undefined) guard.markKey(target.key);
    else if (target.tag !== undefined) guard.markTag(target.tag);
    else guard.markAll();
    if (target.key !== undefined) l1?.deleteSync(target.key);
    else if (target.tag !== undefined) void l1?.deleteByTag(target.tag);
    else void l1?.clear();
  };

  const onMessage = (raw: string) => {
    const message = parseBusMessage(raw);
    if (!message || message.i === instanceId) return;
    apply(message);
    // Applied: tell the sender, whose write waits for every instance that heard it. A release needs no answer.
    // Straight to the client, not through the circuit: a circuit opened by slow reads must not silence acks.
    if (message.n !== undefined && (message.h === 1 || message.w === undefined)) {
      redis.publish(ackChannel(message.i), String(message.n)).catch(reportError);
    }
  };

  const subscriptions: Array<Promise<void>> = [];
  if (options.bus) {
    subscriptions.push(pubsub.subscribe(busChannel, onMessage));
    subscriptions.push(pubsub.subscribe(ackChannel(instanceId), (raw) => acks.ack(Number(raw))));
  }
  if (options.lease) subscriptions.push(pubsub.subscribe(leaseChannel, (key) => options.onLeaseReleased(key)));
  const ready = Promise.all(subscriptions).then(
    () => {},
    (error: unknown) => reportError(error),
  );

  return {
    ready,
    get connected() {
      return pubsub.connected;
    },
    async publish(message) {
      if (!options.bus) return true;
      const number = ++sequence;
      acks.expect(number);
      const sent = await slot.write(() => redis.publish(busChannel, JSON.stringify({ ...message, n: number })), options.writeTimeout);
      if (!sent.ok) {
        acks.forget(number);
        return false;
      }
      const others = sent.value - (pubsub.connected ? 1 : 0);
      const awaited = message.h === 1 || message.w === undefined;
      if (others <= 0 || !awaited) acks.forget(number);
      else {
        const missing = await acks.wait(number, others, options.ackTimeout);
        if (missing > 0) logger.warn({ missing, ackTimeout: options.ackTimeout, operation: message.o }, '[wai:cache-tiers] a bus message was not acknowledged in time by every instance: one may serve its L1 copy until it applies it');
      }
      return true;
    },
    async announceLease(key) {
      await slot.call(() => redis.publish(leaseChannel, key));
    },
    close: () => pubsub.close(),
  };
}

/**
 * Acknowledgements of this instance's bus messages, counted per sequence number. Counting starts before the
 * PUBLISH is sent: a fast receiver's ack can arrive before PUBLISH's own reply (it travels on another connection).
 */
function createBusAcks(clock: Clock) {
  const received = new Map<number, { count: number; expected: number; done: (() => void) | undefined }>();
  return {
    expect(sequence: number) {
      received.set(sequence, { count: 0, expected: Infinity, done: undefined });
    },
    forget(sequence: number) {
      received.delete(sequence);
    },
    /** Resolves with how many of `expected` acks were still missing after at most `timeoutMs` (0: all came). */
    wait(sequence: number, expected: number, timeoutMs: number): Promise<number> {
      const entry = received.get(sequence);
      if (!entry) return Promise.resolve(expected);
      entry.expected = expected;
      if (entry.count >= expected) {
        received.delete(sequence);
        return Promise.resolve(0);
      }
      return new Promise<number>((resolve) => {
        const timer = clock.setTimeout(() => entry.done?.(), timeoutMs);
        entry.done = () => {
          timer.cancel();
          received.delete(sequence);
          resolve(Math.max(0, entry.expected - entry.count));
        };
      });
    },
    ack(sequence: number) {
      const entry = received.get(sequence);
      if (!entry) return;
      entry.count++;
      if (entry.count >= entry.expected) entry.done?.();
    },
  };
}
