import type { Clock, Logger } from '@wai/metrics-core';
import type { BusMessage } from '../bus/messages.js';
import type { CacheEntry, HandoffOperation, HandoffTier, VersionedTier } from '../tier.js';
import type { BusOutbox } from './bus-outbox.js';
import type { FillGuard } from './fill-guard.js';
import type { PendingOperation } from './pending-queue.js';
import type { RemoteTier } from './remote-tier.js';

/** What a write or an invalidation covers in the fill guard: a key, a tag, or (neither) everything. */
export type HoldTarget = { key?: string; tag?: string };

/**
 * Carries writes and invalidations to every shared tier and every instance, and keeps what could not be
 * delivered until it is (see `propagate` for the order and why).
 */
export interface InvalidationPropagator {
  /** `set`: writes `entry` to every shared tier; `local` drops this process's L1 copy. */
  write(key: string, entry: CacheEntry, local: () => unknown): Promise<void>;
  invalidate(operation: PendingOperation, target: HoldTarget, local: () => unknown): Promise<void>;
  /** Replays what was queued for `slot` while it was down, re-announcing it on the bus. */
  replay(slot: RemoteTier): Promise<void>;
  /** Keeps delivering what is queued (tiers and bus) for up to `flushTimeout` ms; logs what is left. */
  flush(): Promise<void>;
}

export interface InvalidationPropagatorOptions {
  remote: readonly RemoteTier[];
  /** The versioned collaborator of each remote slot (undefined for custom tiers). */
  versionedOf: ReadonlyArray<VersionedTier | undefined>;
  /** The slot whose tier carries the bus (Redis), if any: replays there are re-announced. */
  busSlot: RemoteTier | undefined;
  /**
   * A shared tier every instance reads that keeps invalidations for the others (SQL): what cannot reach the bus
   * slot is handed to it, so another instance delivers it even if this one never reaches Redis again.
   */
  handoff: { slot: RemoteTier; tier: HandoffTier } | undefined;
  guard: FillGuard;
  outbox: BusOutbox;
  instanceId: string;
  writeTimeout: number;
  flushTimeout: number;
  holdTimeout: number;
  purgeOnInvalidate: boolean;
  clock: Clock;
  logger: Logger;
  /** Background work `close()` waits for. */
  track(promise: Promise<unknown>): void;
}

export function createInvalidationPropagator(options: InvalidationPropagatorOptions): InvalidationPropagator {
  const { remote, versionedOf, guard, outbox, instanceId, writeTimeout, clock } = options;
  let writes = 0;

  async function applyRemote(slot: RemoteTier, operation: PendingOperation): Promise<boolean> {
    switch (operation.op) {
      case 'delete':
        return (await slot.write((tier) => tier.delete(operation.key), writeTimeout)).ok;
      case 'clear':
        return (await slot.write((tier) => tier.clear(), writeTimeout)).ok;
      case 'tag': {
        // O(1) on a versioned tier: the tag gets a new version and reads refuse older entries. Tagged entries are
        // deleted too only when asked (`purgeOnInvalidate`), or on tiers that keep no versions (custom tiers).
        const versioned = versionedOf[remote.indexOf(slot)];
        if (versioned) {
          const stamped = (await slot.write(() => versioned.invalidateTag(operation.tag), writeTimeout)).ok;
          if (stamped && options.purgeOnInvalidate) options.track(slot.call((tier) => tier.deleteByTag(operation.tag)));
          return stamped;
        }
        return (await slot.write((tier) => tier.deleteByTag(operation.tag), writeTimeout)).ok;
      }
    }
  }

  const operationOf = (message: BusMessage): HandoffOperation => {
    switch (message.o) {
      case 'set':
      case 'delete':
        return { op: 'delete', key: message.k };
      case 'tag':
        return { op: 'tag', tag: message.t, at: message.a };
      case 'clear':
        return { op: 'clear' };
    }
  };

  const messageFor = (operation: PendingOperation): BusMessage => {
    switch (operation.op) {
      case 'delete':
        return { i: instanceId, o: 'delete', k: operation.key };
      case 'tag':
        return { i: instanceId, o: 'tag', t: operation.tag, a: operation.at };
      case 'clear':
        return { i: instanceId, o: 'clear' };
    }
  };

  /**
   * Carries a write or an invalidation everywhere, in an order that keeps every fill race safe:
   *
   * 1. hold the key / tag / everything in this process's guard and drop the L1 copies (`local`);
   * 2. announce the hold on the bus; it returns once every other instance has dropped its copy and holds too
   *    (their acknowledgements). While held, no instance fills L1 for it: what a shared tier answers in this
   *    window may still be the old value, and a fill nested in a request (a response built from the data cache)
   *    would otherwise carry that old value into a shared tier under a version newer than step 3's;
   * 3. the shared tiers, deepest first: a reader that missed an upper tier took that tier's version before it
   *    read the one below, so a back-fill of what it read there is refused by the upper tier;
   * 4. release the hold here and on the bus (fills begun while it was held are refused).
   *
   * A tier that cannot take the operation gets it queued (replayed when it is back) and is skipped on reads.
   */
  async function propagate(apply: (slot: RemoteTier) => Promise<boolean>, queued: PendingOperation, target: HoldTarget, local: () => unknown, message: BusMessage): Promise<void> {
    const id = `${instanceId}:${++writes}`;
    guard.hold(id, target, clock.monotonic() + options.holdTimeout);
    try {
      await local();
      await outbox.send({ ...message, h: 1, w: id });
      for (let level = remote.length - 1; level >= 0; level--) {
        const slot = remote[level]!;
        if (slot.pending.size > 0 || !(await apply(slot))) slot.pending.push(queued);
      }
      // Redis could not take it (or hear the hold): hand it to SQL before the write returns, so the other
      // instances get it within their relay interval even if this instance never reaches Redis again.
      if (options.busSlot && (options.busSlot.pending.size > 0 || outbox.size > 0)) await handOff([queued]);
    } finally {
      guard.release(id);
      await local();
    }
    await outbox.send({ ...message, w: id });
  }

  async function handOff(operations: HandoffOperation[]): Promise<boolean> {
    const target = options.handoff;
    if (!target || operations.length === 0 || target.slot.pending.size > 0) return false;
    return (await target.slot.write(() => target.tier.handOff(operations), writeTimeout)).ok;
  }

  async function replay(slot: RemoteTier): Promise<void> {
    for (let operation = slot.pending.shift(); operation; operation = slot.pending.shift()) {
      if (!(await applyRemote(slot, operation))) {
        slot.pending.unshift(operation);
        return;
      }
      if (slot === options.busSlot) void outbox.send(messageFor(operation));
    }
  }

  return {
    write: (key, entry, local) =>
      // A tier that cannot take the write gets a delete queued, so it cannot serve the value this write replaced.
      propagate(async (slot) => (await slot.write((tier) => tier.set(key, entry), writeTimeout)).ok, { op: 'delete', key }, { key }, local, { i: instanceId, o: 'set', k: key }),
    invalidate: (operation, target, local) => propagate((slot) => applyRemote(slot, operation), operation, target, local, messageFor(operation)),
    replay,
    async flush() {
      const deadline = clock.monotonic() + options.flushTimeout;
      const undelivered = () => outbox.size + remote.reduce((sum, slot) => sum + slot.pending.size, 0);
      while (undelivered() > 0 && clock.monotonic() < deadline) {
        for (let level = remote.length - 1; level >= 0; level--) await replay(remote[level]!);
        await outbox.flush();
        if (undelivered() > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(100, Math.max(1, deadline - clock.monotonic()))));
      }
      // What Redis never took (its delete, the bus message) goes to SQL, where any instance that reaches Redis
      // takes it and delivers it: the last path out for a writer shut down while cut off from Redis.
      const busSlot = options.busSlot;
      if (busSlot && (busSlot.pending.size > 0 || outbox.size > 0) && options.handoff) {
        const operations: HandoffOperation[] = [];
        for (let operation = busSlot.pending.shift(); operation; operation = busSlot.pending.shift()) operations.push(operation);
        for (const message of outbox.take()) operations.push(operationOf(message));
        const unique = [...new Map(operations.map((operation) => [JSON.stringify(operation), operation])).values()];
        if (await handOff(unique)) options.logger.info({ handedOff: unique.length }, '[wai:cache-tiers] closing: invalidations Redis never took were handed to the SQL tier for the other instances to deliver');
        else for (const operation of unique) busSlot.pending.push(operation);
      }
      if (undelivered() > 0) options.logger.warn({ undelivered: undelivered() }, '[wai:cache-tiers] closing with invalidations Redis/SQL never took: other instances may serve the old values until they expire');
    },
  };
}
