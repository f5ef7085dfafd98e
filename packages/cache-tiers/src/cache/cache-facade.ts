import type { EventEmitter } from 'node:events';
import { ConfigError, ValidationError, type CacheAnalytics } from '@wai/metrics-core';
import { assertValidKey, assertValidTags } from '../errors.js';
import type { AccessEvents } from './access-events.js';
import type { BasicStats } from './basic-stats.js';
import type { BusLink } from './bus-link.js';
import type { EntryFactory } from './entry-factory.js';
import type { FillGuard } from './fill-guard.js';
import type { CachePluginHandle, HookRegistry } from './hooks.js';
import type { InvalidationPropagator } from './invalidation-propagator.js';
import type { LoadCoordinator } from './load-coordinator.js';
import type { LoaderRegistry } from './loader-registry.js';
import type { CacheOptions } from './options.js';
import type { ReadPath } from './read-path.js';
import type { ResolvedCacheOptions } from './resolve-options.js';
import type { TierStack } from './tier-stack.js';
import type { Cache, CacheEvents, ComposedTier, FillToken, GetOrSetOptions, Loader, SetOptions } from './types.js';
import type { WarmingApi } from './warming-contract.js';

/** The collaborators the public cache object drives (built and wired by `createCache`). */
export interface CacheParts {
  options: CacheOptions;
  resolved: ResolvedCacheOptions;
  instanceId: string;
  emitter: EventEmitter<CacheEvents>;
  hooks: HookRegistry;
  stack: TierStack;
  guard: FillGuard;
  stats: BasicStats;
  events: AccessEvents;
  entries: EntryFactory;
  reads: ReadPath;
  loads: LoadCoordinator;
  loaders: LoaderRegistry;
  propagator: InvalidationPropagator;
  busLink: BusLink | undefined;
  /** Plugins the cache installs before the caller's (warming, prediction). */
  defaultPlugins: NonNullable<CacheOptions['plugins']>;
  reportError(error: unknown): void;
  /** Stops background work and delivers what is queued, after `closePlugins` ran; closes what the cache opened. */
  shutdown(closePlugins: () => Promise<void>): Promise<void>;
}

/**
 * The public cache object: argument checks, the L1 fast paths, and each operation handed to its collaborator
 * (reads to the read path, loads to the load coordinator, writes and invalidations to the propagator).
 */
export function createCacheFacade(parts: CacheParts): Cache {
  const { options, resolved, instanceId, emitter, hooks, stack, guard, stats, events, entries, reads, loads, loaders, propagator, busLink, reportError } = parts;
  const { l1, remote } = stack;
  const { clock } = resolved;

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
    options: { extensions: { ...options.extensions }, defaultTTL: resolved.defaultTTL, ...(resolved.hotKeyThreshold === undefined ? {} : { hotKeyThreshold: resolved.hotKeyThreshold }) },
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
      // Plugins first: a warming run or a prefetch still going would otherwise write after the flush.
      await parts.shutdown(async () => {
        for (const plugin of plugins) await Promise.resolve(plugin.close?.()).catch(reportError);
      });
    },
  });

  for (const plugin of [...parts.defaultPlugins, ...(options.plugins ?? [])]) {
    const handle = plugin(cache as Cache);
    if (!handle) continue;
    plugins.push(handle);
    warming ??= handle.warming;
  }
  return cache as Cache;
}

function isFillToken(value: unknown): value is FillToken {
  return typeof value === 'object' && value !== null && typeof (value as FillToken).local === 'number' && Array.isArray((value as FillToken).remote) && typeof (value as FillToken).startedAt === 'number';
}
