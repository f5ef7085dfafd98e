import type { Clock, Logger, TimerHandle } from '@wai/metrics-core';
import type { HandoffOperation, HandoffTier } from '../tier.js';
import type { InvalidationPropagator } from './invalidation-propagator.js';
import type { RemoteTier } from './remote-tier.js';

/** Operations taken per poll; the rest wait for the next one. */
const BATCH = 100;

export interface HandoffRelayOptions {
  handoff: { slot: RemoteTier; tier: HandoffTier };
  /** The Redis slot: handed-off operations are replayed there, and re-announced on the bus. */
  busSlot: RemoteTier;
  /** False while the bus subscriber is down: a relayed message would then not reach this instance's peers reliably. */
  canPublish(): boolean;
  propagator: InvalidationPropagator;
  /** Applies an operation to this process (fill guard and L1): the bus does not echo our own messages. */
  applyLocal(operation: HandoffOperation): void;
  /** Ms between polls. */
  interval: number;
  clock: Clock;
  logger: Logger;
  reportError(error: unknown): void;
}

export interface HandoffRelay {
  /** One poll now (tests and `tier:up` use it); resolves with how many operations were taken. */
  poll(): Promise<number>;
  close(): void;
}

/**
 * Delivers invalidations other instances handed to the SQL tier because they could not reach Redis: while this
 * instance reaches both, it takes them, applies them here, and replays them into Redis and onto the bus like its
 * own queued invalidations. The delay for the others is one `interval` plus the replay's round trips.
 */
export function createHandoffRelay(options: HandoffRelayOptions): HandoffRelay {
  const { handoff, busSlot, propagator, clock } = options;
  let running: Promise<number> | undefined;

  const once = async (): Promise<number> => {
    if (busSlot.breaker.state !== 'closed' || handoff.slot.breaker.state !== 'closed' || !options.canPublish()) return 0;
    const taken = await handoff.slot.call(() => handoff.tier.takeHandoffs(BATCH));
    if (!taken.ok || taken.value.length === 0) return 0;
    for (const operation of taken.value) {
      options.applyLocal(operation);
      busSlot.pending.push(operation);
    }
    options.logger.info({ operations: taken.value.length }, '[wai:cache-tiers] delivering invalidations another instance handed off while cut off from Redis');
    await propagator.replay(busSlot);
    return taken.value.length;
  };

  const relay: HandoffRelay = {
    poll() {
      running ??= once()
        .catch((error: unknown) => {
          options.reportError(error);
          return 0;
        })
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    close() {
      timer?.cancel();
    },
  };
  const timer: TimerHandle | undefined = options.interval > 0 ? clock.setInterval(() => void relay.poll(), options.interval) : undefined;
  return relay;
}
