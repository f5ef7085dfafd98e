import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { tierUnavailable } from '../errors.js';
import { createLeaseWaiters } from '../bus/lease-waiters.js';
import { predictivePreloading } from '../predictive/predictive-preloading.js';
import { cacheWarming } from '../warming/warming-plugin.js';
import { cacheAnalytics, isAnalyticsPlugin } from '../analytics/cache-analytics.js';
import { isHandoffTier, type HandoffOperation, type TierName } from '../tier.js';
import { createAccessEvents } from './access-events.js';
import { createBasicStats } from './basic-stats.js';
import { createCacheFacade } from './cache-facade.js';
import { createBusLink } from './bus-link.js';
import { createBusOutbox } from './bus-outbox.js';
import { createEntryFactory } from './entry-factory.js';
import { createFillGuard } from './fill-guard.js';
import { createHandoffRelay } from './handoff-relay.js';
import { createHookRegistry } from './hooks.js';
import { createInvalidationPropagator } from './invalidation-propagator.js';
import { createLoadCoordinator, hasCode } from './load-coordinator.js';
import { createLoaderRegistry } from './loader-registry.js';
import type { CacheOptions, L2Options } from './options.js';
import { createReadPath } from './read-path.js';
import { resolveCacheOptions } from './resolve-options.js';
import { createTierStack, isTier } from './tier-stack.js';
import type { Cache, CacheEvents } from './types.js';

/**
 * Creates the composed cache (see `src/cache.ts` for the contract and the hook API). This function only wires
 * the collaborators: the tier stack (`tier-stack.ts`), the read path with back-fills and fills (`read-path.ts`),
 * the load coordinator (`load-coordinator.ts`: flights, lease, timeouts), the fill guard, the bus link and the
 * invalidation propagator; warming and prediction are plugins.
 */
export function createCache(options: CacheOptions = {}): Cache {
  const l2Options = options.l2 && !isTier(options.l2) ? (options.l2 as L2Options) : undefined;
  const resolved = resolveCacheOptions(options, l2Options);
  const { clock, logger } = resolved;
  const instanceId = randomUUID();

  const emitter = new EventEmitter<CacheEvents>();
  const hooks = createHookRegistry((error) => logger.warn({ err: error }, '[wai:cache-tiers] a cache hook threw'));
  const reportError = (error: unknown) => {
    // 'error' without a listener would crash the process (EventEmitter semantics): only emit when heard.
    if (emitter.listenerCount('error') > 0) emitter.emit('error', error instanceof Error ? error : new Error(String(error)));
  };

  const stack = createTierStack(
    options,
    resolved,
    hooks,
    (key, tier, reason) => {
      if (emitter.listenerCount('evict') > 0) emitter.emit('evict', key, tier, reason);
    },
    {
      reportError,
      onError: (tier, error) => {
        hooks.emit('tierError', { tier, error });
        reportError(hasCode(error) ? error : tierUnavailable(tier, error));
      },
      onDown: (tier) => tierDown(tier),
      onUp: (tier) => tierUp(tier),
    },
  );
  const { l1, remote, versionedOf, coordinator } = stack;
  // How long a hold lasts at most (its release lost, its writer gone): the writer's own worst case, twice.
  const holdTimeout = 2 * (2 * resolved.ackTimeout + resolved.writeTimeout * Math.max(1, remote.length));
  const guard = createFillGuard(resolved.maxTagStamps, () => clock.monotonic());
  const stats = createBasicStats([...(l1 ? [l1.name] : []), ...remote.map((slot) => slot.name)]);
  hooks.add(stats.hook);
  for (const hook of options.hooks ?? []) hooks.add(hook);
  const events = createAccessEvents(emitter, hooks, stats.access, resolved.accessSamplePeriod);
  const entries = createEntryFactory(resolved);

  // Background work (write-behind after getOrSet, back-fills, lease releases): close() waits for it.
  const background = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>): void => {
    const tracked = promise.catch((error: unknown) => reportError(error)).finally(() => background.delete(tracked));
    background.add(tracked);
  };

  const reads = createReadPath({ stack, guard, stats, hooks, events, clock, track });
  const leaseWaiters = createLeaseWaiters(clock);
  const busLink =
    coordinator && (resolved.bus || resolved.lease)
      ? createBusLink({
          redis: coordinator.tier,
          slot: coordinator.slot,
          instanceId,
          bus: resolved.bus,
          lease: Boolean(resolved.lease),
          guard,
          l1,
          holdTimeout,
          ackTimeout: resolved.ackTimeout,
          writeTimeout: resolved.writeTimeout,
          clock,
          logger,
          reportError,
          onLeaseReleased: (key) => leaseWaiters.wake(key),
          onReconnect: () => leaseWaiters.wakeAll(),
        })
      : undefined;
  const outbox = createBusOutbox({
    publish: (message) => busLink?.publish(message) ?? Promise.resolve(true),
    clock,
    retryInterval: resolved.failSafeRetryInterval,
    maxSize: resolved.maxPendingInvalidations,
    instanceId,
  });
  const handoffSlot = remote.find((slot) => slot !== coordinator?.slot && isHandoffTier(slot.tier));
  const handoff = coordinator && handoffSlot && isHandoffTier(handoffSlot.tier) ? { slot: handoffSlot, tier: handoffSlot.tier } : undefined;
  const propagator = createInvalidationPropagator({
    remote,
    versionedOf,
    busSlot: coordinator?.slot,
    handoff,
    guard,
    outbox,
    instanceId,
    writeTimeout: resolved.writeTimeout,
    flushTimeout: resolved.flushTimeout,
    holdTimeout,
    purgeOnInvalidate: resolved.purgeOnInvalidate,
    clock,
    logger,
    track,
  });
  const applyLocal = (operation: HandoffOperation): void => {
    if (operation.op === 'delete') {
      guard.markKey(operation.key);
      l1?.deleteSync(operation.key);
    } else if (operation.op === 'tag') {
      guard.markTag(operation.tag);
      void l1?.deleteByTag(operation.tag);
    } else {
      guard.markAll();
      void l1?.clear();
    }
  };
  const relay =
    handoff && coordinator
      ? createHandoffRelay({
          handoff,
          busSlot: coordinator.slot,
          canPublish: () => !resolved.bus || busLink?.connected === true,
          propagator,
          applyLocal,
          interval: resolved.handoffInterval,
          clock,
          logger,
          reportError,
        })
      : undefined;
  const loads = createLoadCoordinator({ resolved, stack, reads, entries, guard, hooks, events, leaseWaiters, busLink, instanceId, track, reportError });
  const loaders = createLoaderRegistry(resolved.maxRememberedLoaders);

  function tierDown(tier: TierName): void {
    logger.warn({ tier }, '[wai:cache-tiers] tier down: reads fall through, writes are dropped, invalidations queued');
    hooks.emit('tierState', { tier, up: false });
    emitter.emit('tier:down', tier, tierUnavailable(tier, 'circuit opened'));
    // Nobody can announce a finished load through a tier that is down: waiting on would only stall reads.
    if (coordinator?.slot.name === tier) leaseWaiters.wakeAll();
  }

  function tierUp(tier: TierName): void {
    logger.info({ tier }, '[wai:cache-tiers] tier up');
    hooks.emit('tierState', { tier, up: true });
    emitter.emit('tier:up', tier);
    const slot = remote.find((candidate) => candidate.name === tier);
    // While the bus's own connection is down too, messages are being missed: drop L1 now (its reconnect drops it
    // again). A circuit opened by slow commands alone, with the subscriber up all along, missed nothing.
    if (slot && slot === coordinator?.slot && resolved.bus && l1 && busLink?.connected !== true) {
      guard.markAll();
      void l1.clear();
    }
    if (slot) void propagator.replay(slot).then(() => outbox.flush());
    // Back in reach of Redis: deliver what others handed off meanwhile now, not at the next poll.
    if (slot && slot === coordinator?.slot) void relay?.poll();
  }

  async function shutdown(closePlugins: () => Promise<void>): Promise<void> {
    relay?.close();
    await closePlugins();
    await Promise.allSettled([...background]);
    await propagator.flush();
    stack.stop();
    outbox.close();
    leaseWaiters.wakeAll();
    await busLink?.close();
    await stack.close();
  }

  const ownAnalytics = options.plugins?.some(isAnalyticsPlugin) === true;
  const defaultPlugins = [
    ...(options.analytics === false || ownAnalytics ? [] : [cacheAnalytics(options.analytics ?? {})]),
    ...(resolved.warmingIntervalMs === undefined ? [] : [cacheWarming({ intervalMs: resolved.warmingIntervalMs, logger })]),
    ...(options.prediction ? [predictivePreloading(options.prediction)] : []),
  ];
  return createCacheFacade({ options, resolved, instanceId, emitter, hooks, stack, guard, stats, events, entries, reads, loads, loaders, propagator, busLink, defaultPlugins, reportError, shutdown });
}
