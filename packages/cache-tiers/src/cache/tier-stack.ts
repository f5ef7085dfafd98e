import { ConfigError } from '@wai/metrics-core';
import { isCircuitBreaker, type CircuitBreaker } from '../circuit-breaker.js';
import { createMemoryTier } from '../l1/index.js';
import { createRedisTier, isCoordinatingTier, type RedisTier } from '../l2/redis-tier.js';
import { createSqlTier, type SqlTierOptions } from '../l3/index.js';
import { isVersionedTier, type CacheTier, type SyncCacheTier, type TierName, type VersionedTier } from '../tier.js';
import type { HookRegistry } from './hooks.js';
import type { CacheOptions, L1Options, L2Options } from './options.js';
import { createRemoteTier, type RemoteTier } from './remote-tier.js';
import type { ResolvedCacheOptions } from './resolve-options.js';

/**
 * The tiers a cache reads through, top-down: L1 (synchronous, this process) and the shared ones (L2, L3), each
 * behind a `RemoteTier` slot that bounds its calls. Capabilities are declared by the tiers, never guessed:
 * `versionedOf[i]` is slot i's tier when it keeps versions (fills are checked there), and `coordinator` is the
 * tier that carries the bus and leases (the built-in Redis tier, created here or passed in).
 */
export interface TierStack {
  readonly l1: SyncCacheTier | undefined;
  readonly remote: readonly RemoteTier[];
  readonly versionedOf: ReadonlyArray<VersionedTier | undefined>;
  readonly coordinator: { tier: RedisTier; slot: RemoteTier } | undefined;
  /** Stops the shared tiers' background probes. */
  stop(): void;
  /** Closes the tiers this stack opened (never ones passed in). */
  close(): Promise<void>;
}

/** What the stack reports about its shared tiers' circuits (wired by the cache after the stack exists). */
export interface TierStackEvents {
  /** A client-level error of a tier this stack opened (connection errors between calls). */
  reportError(error: unknown): void;
  onError(tier: TierName, error: unknown): void;
  onDown(tier: TierName): void;
  onUp(tier: TierName): void;
}

export function createTierStack(options: CacheOptions, resolved: ResolvedCacheOptions, hooks: HookRegistry, emitEvict: (key: string, tier: TierName, reason: string) => void, events: TierStackEvents): TierStack {
  const { clock, serializer, compressionThreshold, namespace } = resolved;

  let l1: SyncCacheTier | undefined;
  let ownsL1 = false;
  if (options.l1 !== false) {
    if (options.l1 && isTier(options.l1)) l1 = options.l1 as SyncCacheTier;
    else {
      const { maxMemorySize, hotKeyThreshold: _cacheLevel, ...rest } = (options.l1 ?? {}) as L1Options;
      l1 = createMemoryTier({
        ...(maxMemorySize === undefined ? {} : { maxMemory: maxMemorySize }),
        ...rest,
        clock,
        onEvict: (key: string, reason: string) => {
          hooks.emit('evict', { tier: 'l1', key, reason });
          emitEvict(key, 'l1', reason);
        },
      });
      ownsL1 = true;
    }
  }

  const slot = (tier: CacheTier, owned: boolean, breaker?: CircuitBreaker): RemoteTier =>
    createRemoteTier(tier, {
      owned,
      ...(breaker ? { breaker } : {}),
      clock,
      commandTimeout: resolved.commandTimeout,
      maxPending: resolved.maxPendingInvalidations,
      failureThreshold: resolved.failureThreshold,
      resetTimeout: resolved.resetTimeout,
      onError: (name, error) => events.onError(name, error),
      onDown: (name) => events.onDown(name),
      onUp: (name) => events.onUp(name),
    });

  // L3 is made first: a SQLite driver that cannot load throws here, before a Redis client is opened and leaked.
  let l3: { tier: CacheTier; owned: boolean } | undefined;
  if (options.l3) {
    if (isTier(options.l3)) l3 = { tier: options.l3, owned: false };
    else {
      const sqlOptions: SqlTierOptions = { compressionThreshold, serializer, clock, onError: (error: Error) => events.reportError(error), ...(options.l3 as SqlTierOptions), namespace };
      l3 = { tier: createSqlTier(sqlOptions), owned: true };
    }
  }
  const remote: RemoteTier[] = [];
  let coordinator: TierStack['coordinator'];
  if (options.l2) {
    let tier: CacheTier;
    let owned = false;
    let breaker: CircuitBreaker | undefined;
    if (isTier(options.l2)) tier = options.l2;
    else {
      const { defaultTTL: _applied, circuitBreaker, ...redisOptions } = options.l2 as L2Options;
      if (circuitBreaker !== undefined && !isCircuitBreaker(circuitBreaker)) {
        throw new ConfigError('[wai:cache-tiers] `l2.circuitBreaker` must be a breaker from createCircuitBreaker (for thresholds, use the top-level `circuitBreaker` options)');
      }
      breaker = circuitBreaker;
      owned = true;
      tier = createRedisTier({
        // The slot's deadline bounds every call; a client timer per command would only add cost.
        commandTimeout: false,
        compressionThreshold,
        serializer,
        clock,
        onError: (error) => events.reportError(error),
        ...redisOptions,
        namespace,
      });
    }
    const l2 = slot(tier, owned, breaker);
    remote.push(l2);
    if (isCoordinatingTier(tier)) coordinator = { tier, slot: l2 };
  }
  if (l3) remote.push(slot(l3.tier, l3.owned));
  if ((resolved.bus || resolved.lease) && !coordinator) {
    throw new ConfigError('[wai:cache-tiers] `bus` and `lease` need the built-in Redis tier: pass `l2: { redis }` (or a tier from createRedisTier)');
  }

  return {
    l1,
    remote,
    versionedOf: remote.map((entry) => (isVersionedTier(entry.tier) ? entry.tier : undefined)),
    coordinator,
    stop() {
      for (const entry of remote) entry.stop();
    },
    async close() {
      for (const entry of remote) if (entry.owned) await entry.tier.close().catch((error: unknown) => events.reportError(error));
      if (ownsL1 && l1) await l1.close();
    },
  };
}

export function isTier(value: unknown): value is CacheTier {
  return typeof value === 'object' && value !== null && typeof (value as CacheTier).get === 'function' && typeof (value as CacheTier).deleteByTag === 'function';
}
