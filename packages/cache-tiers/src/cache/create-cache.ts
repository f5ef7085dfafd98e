import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { ConfigError, ValidationError, type CacheAnalytics } from '@wai/metrics-core';
import { tierUnavailable, assertValidKey, assertValidTags } from '../errors.js';
import { createLeaseWaiters } from '../bus/lease-waiters.js';
import { predictivePreloading, type PredictivePreloadingOptions } from '../predictive/predictive-preloading.js';
import { cacheWarming } from '../warming/warming-plugin.js';
import { isHandoffTier, type HandoffOperation, type TierName } from '../tier.js';
import { createAccessEvents } from './access-events.js';
import { createBasicStats } from './basic-stats.js';
import { createBusLink } from './bus-link.js';
import { createBusOutbox } from './bus-outbox.js';
import { createEntryFactory } from './entry-factory.js';
import { createFillGuard } from './fill-guard.js';
import { createHandoffRelay } from './handoff-relay.js';
import { createHookRegistry, type CachePluginHandle } from './hooks.js';
import { createInvalidationPropagator } from './invalidation-propagator.js';
import { createLoadCoordinator, hasCode } from './load-coordinator.js';
import { createLoaderRegistry } from './loader-registry.js';
import type { CacheOptions, L2Options } from './options.js';
import { createReadPath } from './read-path.js';
import { resolveCacheOptions } from './resolve-options.js';
import { createTierStack, isTier } from './tier-stack.js';
import type { Cache, CacheEvents, ComposedTier, FillToken, GetOrSetOptions, Loader, SetOptions } from './types.js';
import type { WarmingApi } from './warming-contract.js';

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
  const events = createAccessEvents(emitter, hooks, stats.access);
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
  const loaders = createLoaderRegistry(options.maxRememberedLoaders ?? 10_000);

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
  }

  /**
   * A write (`set`), carried like an invalidation. Versioned tiers advance their clock, so fills begun before the
   * write are refused; a tier that cannot take it gets a delete queued, so it cannot serve the value this write
   * replaced when it comes back.
   */
  async function writeThrough(key: string, value: unknown, setOptions: SetOptions | undefined): Promise<void> {
    const { entry, ttl } = entries.make(value, setOptions);
    loads.forgetFailure(key);
    await propagator.write(key, entry, () => {
      guard.markKey(key);
      l1?.deleteSync(key);
    });
    l1?.setSync(key, entry);
    hooks.emit('write', { op: 'set', key, ttl, tags: entry.tags });
    events.set(key);
  }

  // ── the public object ──────────────────────────────────────────────────────────────────────────────────
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new ConfigError('[wai:cache-tiers] the cache is closed');
  };
  const plugins: CachePluginHandle[] = [];
  let warming: WarmingApi | undefined;
  const needWarming = (): WarmingApi => {
    if (warming) return warming;
    throw new ConfigError('[wai:cache-tiers] warming is off for this cache (`warming: false`): install `cacheWarming()` in `plugins` to use strategies');
  };

  const cache = Object.assign(emitter, {
    namespace: resolved.namespace,
    instanceId,
    clock,
    options: { extensions: { ...options.extensions }, defaultTTL: resolved.defaultTTL },
    tiers: [...(l1 ? [{ tier: l1, name: l1.name, circuit: 'closed' as const }] : []), ...remote] as readonly ComposedTier[],

    async get<T = unknown>(key: string): Promise<T | undefined> {
      assertValidKey(key);
      assertOpen();
      if (l1) {
        const now = reads.now();
        const entry = reads.readL1(l1, key, now);
        if (entry !== undefined && entry.expiresAt > now) {
          events.hit(key, l1.name);
          return entry.value as T;
        }
      }
      const found = await reads.lookup(key, l1 !== undefined);
      if (reads.isFresh(found)) {
        events.hit(key, found.tier);
        return found.entry.value as T;
      }
      events.miss(key);
      return undefined;
    },

    async getEntry(key: string) {
      assertValidKey(key);
      assertOpen();
      return (await reads.lookup(key))?.entry;
    },

    async set<T = unknown>(key: string, value: T, setOptions?: SetOptions): Promise<void> {
      assertValidKey(key);
      assertOpen();
      await writeThrough(key, value, setOptions);
    },

    beginFill(): Promise<FillToken> {
      if (closed) return Promise.reject(new ConfigError('[wai:cache-tiers] the cache is closed'));
      return reads.beginFill();
    },

    async fill<T = unknown>(token: FillToken, key: string, value: T, setOptions?: SetOptions): Promise<boolean> {
      assertValidKey(key);
      assertOpen();
      if (!isFillToken(token)) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] fill needs the token beginFill() returned');
      return reads.storeFill(key, entries.make(value, setOptions).entry, token);
    },

    // Not an `async` method: returning the flight's promise from one would wrap it in another promise (two more
    // microtask hops on every L2 hit). Bad arguments still come back as a rejected promise, never a throw.
    getOrSet<T>(key: string, loader: Loader<T>, callOptions?: GetOrSetOptions): Promise<T> {
      try {
        assertValidKey(key);
        assertOpen();
        if (typeof loader !== 'function') throw new ConfigError('[wai:cache-tiers] getOrSet needs a loader function');
        entries.validate(callOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      if (callOptions?.predictive || options.rememberLoaders) loaders.remember(key, loader as (context: { key: string }) => unknown);
      if (l1) {
        // Fast path: a fresh L1 hit answers here, with no further promise, lookup or event object.
        const now = reads.now();
        const entry = reads.readL1(l1, key, now);
        if (entry !== undefined && entry.expiresAt > now) {
          events.hit(key, l1.name);
          return Promise.resolve(entry.value as T);
        }
      }
      return loads.getOrLoad(key, loader, callOptions);
    },

    async delete(key: string): Promise<boolean> {
      assertValidKey(key);
      assertOpen();
      // "Existed" means a valid entry (fresh or stale) could be read: a row only a tag stamp invalidated does not count.
      const existed = (await reads.lookup(key, false, false)) !== undefined;
      loaders.forget(key);
      loads.forgetFailure(key);
      hooks.emit('write', { op: 'delete', key });
      const local = () => {
        guard.markKey(key);
        l1?.deleteSync(key);
      };
      await propagator.invalidate({ op: 'delete', key }, { key }, local);
      return existed;
    },

    async invalidateByTag(tag: string): Promise<void> {
      assertOpen();
      if (typeof tag !== 'string' || tag.length === 0) assertValidTags([tag]);
      const at = clock.now();
      hooks.emit('write', { op: 'invalidateTag', tag });
      const local = () => {
        guard.markTag(tag);
        return l1?.deleteByTag(tag);
      };
      await propagator.invalidate({ op: 'tag', tag, at }, { tag }, local);
    },

    async clear(): Promise<void> {
      assertOpen();
      loads.forgetFailure();
      hooks.emit('write', { op: 'clear' });
      for (const slot of remote) slot.pending.clear();
      const local = () => {
        guard.markAll();
        return l1?.clear();
      };
      await propagator.invalidate({ op: 'clear' }, {}, local);
    },

    async refresh(key: string, callOptions?: GetOrSetOptions): Promise<boolean> {
      assertValidKey(key);
      const loader = loaders.get(key) as Loader<unknown> | undefined;
      if (!loader || closed) return false;
      await loads.refresh(key, loader, callOptions);
      return true;
    },

    getAnalytics(): CacheAnalytics {
      let analytics = stats.snapshot();
      if (l1) {
        const l1Stats = analytics.tiers[l1.name];
        if (l1Stats) Object.assign(l1Stats, { size: l1.size, memoryBytes: l1.memoryBytes });
        analytics.memoryBytes = l1.memoryBytes;
      }
      for (const plugin of plugins) if (plugin.analytics) analytics = plugin.analytics(analytics);
      return analytics;
    },

    addWarmingStrategy: (strategy: Parameters<Cache['addWarmingStrategy']>[0]) => needWarming().addWarmingStrategy(strategy),
    removeWarmingStrategy: (name: string) => warming?.removeWarmingStrategy(name) ?? false,
    warm: async (strategy?: string) => needWarming().warm(strategy),
    listWarmingStrategies: () => warming?.listWarmingStrategies() ?? [],

    ready: () => busLink?.ready ?? Promise.resolve(),

    addHook: hooks.add,
    getLoader: (key: string) => loaders.get(key),
    rememberedKeys: () => loaders.keys(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      relay?.close();
      // Plugins first: a warming run or a prefetch still going would otherwise write after the flush.
      for (const plugin of plugins) await Promise.resolve(plugin.close?.()).catch(reportError);
      await Promise.allSettled([...background]);
      await propagator.flush();
      stack.stop();
      outbox.close();
      leaseWaiters.wakeAll();
      await busLink?.close();
      await stack.close();
    },
  });

  const defaults = [
    ...(options.warming === false ? [] : [cacheWarming({ intervalMs: options.warming?.intervalMs ?? 0, logger })]),
    ...(options.prediction ? [predictivePreloading(withoutModelUpdateInterval(options.prediction))] : []),
  ];
  for (const plugin of [...defaults, ...(options.plugins ?? [])]) {
    const handle = plugin(cache as Cache);
    if (!handle) continue;
    plugins.push(handle);
    warming ??= handle.warming;
  }
  return cache as Cache;
}

function withoutModelUpdateInterval(options: NonNullable<CacheOptions['prediction']>): PredictivePreloadingOptions {
  const { modelUpdateInterval: _unused, ...rest } = options;
  return rest;
}

function isFillToken(value: unknown): value is FillToken {
  return typeof value === 'object' && value !== null && typeof (value as FillToken).local === 'number' && Array.isArray((value as FillToken).remote) && typeof (value as FillToken).startedAt === 'number';
}
