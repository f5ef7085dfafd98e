import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { ConfigError, TimeoutError, ValidationError, silentLogger, systemClock, type CacheAnalytics, type TimerHandle } from '@wai/metrics-core';
import { createMemoryTier } from '../l1/index.js';
import { createRedisTier, type RedisTier } from '../l2/redis-tier.js';
import { assertValidNamespace } from '../l2/redis-keys.js';
import { createSqlTier, type SqlTierOptions } from '../l3/index.js';
import { assertValidKey, assertValidTags, assertValidTtl, tierUnavailable } from '../errors.js';
import { jsonSerializer } from '../serializer.js';
import { createSingleFlight } from '../single-flight.js';
import { isVersionedTier, type CacheEntry, type CacheTier, type SyncCacheTier, type TierName, type VersionedTier } from '../tier.js';
import { createBasicStats } from './basic-stats.js';
import { createHookRegistry, type CachePluginHandle } from './hooks.js';
import { createLoaderRegistry } from './loader-registry.js';
import { createWarmingManager } from '../warming/warming-manager.js';
import { predictivePreloading, type PredictivePreloadingOptions } from '../predictive/predictive-preloading.js';
import type { CacheOptions, L1Options, L2Options } from './options.js';
import { createRemoteTier, type RemoteTier } from './remote-tier.js';
import { createCoarseNow } from './coarse-now.js';
import { createFillGuard } from './fill-guard.js';
import { createBusOutbox } from './bus-outbox.js';
import { createBusLink } from './bus-link.js';
import { createInvalidationPropagator } from './invalidation-propagator.js';
import { createLeaseWaiters } from '../bus/lease-waiters.js';
import type { Cache, CacheEvents, ComposedTier, FillToken, GetOrSetOptions, Loader, SetOptions } from './types.js';

/** One L1 read in this many is timed for `latencyAvgMs` (a power of two). */
const L1_LATENCY_SAMPLE = 64;

interface Found {
  entry: CacheEntry;
  /** Index in the read order (-1 = L1). */
  level: number;
  tier: TierName;
}

/** Creates the composed cache (see `src/cache.ts` for the contract and the hook API). */
export function createCache(options: CacheOptions = {}): Cache {
  const namespace = options.namespace ?? 'wai';
  assertValidNamespace(namespace);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const serializer = options.serializer ?? jsonSerializer;
  const l2Options = options.l2 && !isTier(options.l2) ? (options.l2 as L2Options) : undefined;
  const defaultTTL = options.defaultTTL ?? l2Options?.defaultTTL ?? 3600;
  assertValidTtl(defaultTTL, 'defaultTTL');
  const grace = options.grace ?? 0;
  assertValidTtl(grace, 'grace');
  const commandTimeout = options.commandTimeout ?? 500;
  const failSafeRetryInterval = options.failSafeRetryInterval ?? 1000;
  // A caller waits at most this long for another instance's load (then loads itself): the README's worst case.
  const leaseOptions = options.lease ? { ttl: 10_000, wait: 5000, poll: 50, ...(options.lease === true ? {} : options.lease) } : undefined;
  if (leaseOptions) {
    for (const [name, value] of Object.entries({ 'lease.ttl': leaseOptions.ttl, 'lease.wait': leaseOptions.wait, 'lease.poll': leaseOptions.poll })) {
      if (!Number.isFinite(value) || value < 1) throw new ConfigError(`[wai:cache-tiers] ${name} must be a number of ms >= 1`);
    }
  }
  const flushTimeout = options.flushTimeout ?? 2000;
  const writeTimeout = options.writeTimeout ?? 1000;
  const ackTimeout = options.busAckTimeout ?? 1000;
  for (const [name, value] of Object.entries({ commandTimeout, writeTimeout, busAckTimeout: options.busAckTimeout, failSafeRetryInterval, flushTimeout, softTimeout: options.softTimeout, hardTimeout: options.hardTimeout })) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw new ConfigError(`[wai:cache-tiers] ${name} must be a number of ms >= 0`);
  }
  const compressionThreshold = options.compressionThreshold ?? 1024;
  const purgeOnInvalidate = options.purgeOnInvalidate ?? false;
  const instanceId = randomUUID();

  const emitter = new EventEmitter<CacheEvents>();
  const hooks = createHookRegistry((error) => logger.warn({ err: error }, '[wai:cache-tiers] a cache hook threw'));
  const reportError = (error: unknown) => {
    // 'error' without a listener would crash the process (EventEmitter semantics): only emit when heard.
    if (emitter.listenerCount('error') > 0) emitter.emit('error', error instanceof Error ? error : new Error(String(error)));
  };

  // ── tiers ──────────────────────────────────────────────────────────────────────────────────────────────
  let l1: SyncCacheTier | undefined;
  let ownsL1 = false;
  if (options.l1 !== false) {
    if (options.l1 && isTier(options.l1)) l1 = options.l1 as SyncCacheTier;
    else {
      const { maxMemorySize, ...rest } = (options.l1 ?? {}) as L1Options;
      l1 = createMemoryTier({
        ...(maxMemorySize === undefined ? {} : { maxMemory: maxMemorySize }),
        ...rest,
        clock,
        onEvict: (key: string, reason: string) => {
          hooks.emit('evict', { tier: 'l1', key, reason });
          if (emitter.listenerCount('evict') > 0) emitter.emit('evict', key, 'l1', reason);
        },
      });
      ownsL1 = true;
    }
  }

  const remote: RemoteTier[] = [];
  let redis: RedisTier | undefined;
  const makeSlot = (tier: CacheTier, owned: boolean): RemoteTier =>
    createRemoteTier(tier, {
      owned,
      clock,
      commandTimeout,
      maxPending: options.maxPendingInvalidations ?? 10_000,
      failureThreshold: options.circuitBreaker?.failureThreshold ?? 3,
      resetTimeout: options.circuitBreaker?.resetTimeout ?? 1000,
      onError: (tier, error) => {
        hooks.emit('tierError', { tier, error });
        reportError(hasCode(error) ? error : tierUnavailable(tier, error));
      },
      onDown: (tier) => {
        logger.warn({ tier }, '[wai:cache-tiers] tier down: reads fall through, writes are dropped, invalidations queued');
        hooks.emit('tierState', { tier, up: false });
        emitter.emit('tier:down', tier, tierUnavailable(tier, 'circuit opened'));
        // Nobody can announce a finished load through a tier that is down: waiting on would only stall reads.
        if (redis && remote.find((candidate) => candidate.name === tier)?.tier === redis) leaseWaiters.wakeAll();
      },
      onUp: (tier) => {
        logger.info({ tier }, '[wai:cache-tiers] tier up');
        hooks.emit('tierState', { tier, up: true });
        emitter.emit('tier:up', tier);
        const slot = remote.find((candidate) => candidate.name === tier);
        // While the bus's own connection is down too, messages are being missed: drop L1 now (its reconnect drops
        // it again). A circuit opened by slow commands alone, with the subscriber up all along, missed nothing.
        if (slot && slot.tier === redis && options.bus && l1 && busLink?.connected !== true) {
          guard.markAll();
          void l1.clear();
        }
        if (slot) void propagator.replay(slot).then(() => outbox.flush());
      },
    });
  if (options.l2) {
    if (isTier(options.l2)) {
      // A RedisTier passed in still serves the bus and leases.
      if (isRedisTier(options.l2)) redis = options.l2;
      remote.push(makeSlot(options.l2 as CacheTier, false));
    } else {
      const { defaultTTL: _ignored, ...redisOptions } = options.l2 as L2Options;
      redis = createRedisTier({
        // The remote tier's deadline bounds every call; a client timer per command would only add cost.
        commandTimeout: false,
        compressionThreshold,
        serializer,
        clock,
        onError: (error) => reportError(error),
        ...redisOptions,
        namespace,
      });
      remote.push(makeSlot(redis, true));
    }
  }
  if (options.l3) {
    if (isTier(options.l3)) remote.push(makeSlot(options.l3 as CacheTier, false));
    else {
      const sqlOptions = options.l3 as SqlTierOptions;
      remote.push(makeSlot(createSqlTier({ compressionThreshold, serializer, clock, onError: (error) => reportError(error), ...sqlOptions, namespace } as SqlTierOptions), true));
    }
  }
  if ((options.bus || leaseOptions) && !redis) {
    throw new ConfigError('[wai:cache-tiers] `bus` and `lease` need the built-in Redis tier: pass `l2: { redis }`');
  }
  /** The versioned collaborator of each remote slot (undefined for custom tiers that keep no versions). */
  const versionedOf = remote.map((slot) => (isVersionedTier(slot.tier) ? slot.tier : undefined));
  // How long a hold lasts at most (its release lost, its writer gone): the writer's own worst case, twice.
  const holdTimeout = 2 * (2 * ackTimeout + writeTimeout * Math.max(1, remote.length));
  const guard = createFillGuard(options.maxTagStamps ?? 100_000, () => clock.monotonic());

  const stats = createBasicStats([...(l1 ? [l1.name] : []), ...remote.map((slot) => slot.name)]);
  hooks.add(stats.hook);
  for (const hook of options.hooks ?? []) hooks.add(hook);

  // ── reads ──────────────────────────────────────────────────────────────────────────────────────────────
  // The L1-hit path is the hot path (tens of ns of work): plain counters, latency sampled 1 read in
  // L1_LATENCY_SAMPLE (two clock readings would cost as much as the read itself), no tag check (invalidations
  // drop L1 entries at once), hook events built only when a hook handles them.
  const l1Counters = stats.tier(l1?.name ?? 'l1');
  const coarseNow = createCoarseNow(clock, 1);
  const accessCounters = stats.access;
  const remoteCounters = remote.map((slot) => stats.tier(slot.name));
  let l1Reads = 0;

  /** L1 read with its accounting; `now` is the caller's clock reading (one per call on the hot path). */
  function readL1(tier: SyncCacheTier, key: string, now: number): CacheEntry | undefined {
    const timed = hooks.listening.tierAccess > 0 || (++l1Reads & (L1_LATENCY_SAMPLE - 1)) === 0;
    const started = timed ? clock.monotonic() : 0;
    // No tag check here: every invalidation drops L1's entries at once, and the guard keeps fills begun before it out.
    const entry = tier.getSync(key, now);
    if (entry === undefined) l1Counters.misses++;
    else l1Counters.hits++;
    if (timed) {
      const latencyMs = clock.monotonic() - started;
      l1Counters.latencyTotal += latencyMs;
      l1Counters.latencySamples++;
      if (hooks.listening.tierAccess > 0) hooks.emit('tierAccess', { tier: tier.name, key, hit: entry !== undefined, stale: entry !== undefined && entry.expiresAt <= now, latencyMs });
    }
    return entry;
  }

  const isFresh = (found: Found | undefined): found is Found => found !== undefined && found.entry.expiresAt > clock.now();

  /** A fill token under construction: the read path records each remote tier's version as it misses there. */
  const newToken = (): FillToken & { remote: Array<number | undefined> } => ({ local: guard.token(), remote: [], startedAt: clock.monotonic() });

  /**
   * Looks through the tiers top-down; a hit below L1 back-fills the tiers above it (same absolute expiry). On a
   * miss at a versioned tier its version is read before the tier below is (one more round trip, misses only), so
   * the back-fill of what the lower tier gave is a fill like any other. With `token`, every tier's version is
   * recorded, for the load that follows the miss.
   */
  async function lookup(key: string, skipL1 = false, backfillHits = true, token?: FillToken & { remote: Array<number | undefined> }): Promise<Found | undefined> {
    const local = token?.local ?? guard.token();
    const versions: Array<number | undefined> = token?.remote ?? [];
    let stale: Found | undefined;
    if (!skipL1 && l1) {
      const now = coarseNow();
      const entry = readL1(l1, key, now);
      if (entry) {
        if (entry.expiresAt > now) return { entry, level: -1, tier: l1.name };
        stale = { entry, level: -1, tier: l1.name };
      }
    }
    for (let level = 0; level < remote.length; level++) {
      const slot = remote[level]!;
      // Invalidations queued for this tier are not applied yet: what it holds may be what they invalidate.
      if (slot.pending.size > 0) continue;
      const started = clock.monotonic();
      const read = await slot.get(key);
      const entry = read.ok ? read.value : undefined;
      if (read.ok) {
        const latencyMs = clock.monotonic() - started;
        const counters = remoteCounters[level]!;
        if (entry === undefined) counters.misses++;
        else counters.hits++;
        counters.latencyTotal += latencyMs;
        counters.latencySamples++;
        if (hooks.has('tierAccess')) hooks.emit('tierAccess', { tier: slot.name, key, hit: entry !== undefined, stale: entry !== undefined && entry.expiresAt <= clock.now(), latencyMs });
      }
      if (entry && entry.expiresAt > clock.now()) {
        if (backfillHits) backfill(key, entry, level, local, versions);
        return { entry, level, tier: slot.name };
      }
      const versioned = versionedOf[level];
      if (versioned && read.ok && (token !== undefined || (backfillHits && level < remote.length - 1))) {
        const version = await slot.call(() => versioned.version());
        if (version.ok) versions[level] = version.value;
      }
      if (entry && (!stale || entry.createdAt > stale.entry.createdAt)) stale = { entry, level, tier: slot.name };
    }
    return stale;
  }

  /** L1 takes the entry when this process heard of no invalidation since `local`; upper remote tiers fill. */
  function backfill(key: string, entry: CacheEntry, level: number, local: number, versions: ReadonlyArray<number | undefined>) {
    if (l1 && guard.allows(local, key, entry.tags)) l1.setSync(key, entry);
    for (let index = 0; index < level; index++) {
      const versioned = versionedOf[index];
      const since = versions[index];
      if (versioned && since !== undefined) track(remote[index]!.call(() => versioned.fill(key, entry, since)));
      else if (!versioned) track(remote[index]!.call((tier) => tier.set(key, entry)));
    }
  }

  /**
   * Stores a value computed since `token` (a load, a response, a warmed entry) unless something invalidated its
   * key or one of its tags since: L1 by this process's guard, each versioned tier by its own versions. Resolves
   * true when every tier that could be asked took it.
   */
  async function storeFill(key: string, entry: CacheEntry, token: FillToken): Promise<boolean> {
    if (!guard.allows(token.local, key, entry.tags)) return false;
    l1?.setSync(key, entry);
    hooks.emit('write', { op: 'set', key, ttl: Math.max(0, (entry.expiresAt - clock.now()) / 1000), tags: entry.tags });
    // Into the first shared tier that keeps versions, not below it: with two versioned tiers (Redis and SQL) a
    // fill nested in a request could pass the check of each tier at a different moment of one write. The tiers
    // below are filled by `set` and, when the first one cannot take fills, take them instead.
    let stored = true;
    for (let level = 0; level < remote.length; level++) {
      const slot = remote[level]!;
      const versioned = versionedOf[level];
      if (!versioned) {
        // A custom tier keeps no versions: a plain write (documented: no late-fill guarantee there).
        await slot.call((tier) => tier.set(key, entry));
        continue;
      }
      const since = token.remote[level];
      // Unknown version (the tier was down when the fill began) or invalidations still queued: try the next.
      if (since === undefined || slot.pending.size > 0) continue;
      if (clock.monotonic() - token.startedAt >= versioned.fillWindow) {
        stored = false;
        break;
      }
      const filled = await slot.call(() => versioned.fill(key, entry, since));
      if (!filled.ok) continue;
      stored = filled.value;
      break;
    }
    // A shared tier knows of an invalidation this process has not heard of yet: drop the copy L1 just took.
    if (!stored && l1) l1.deleteSync(key, entry);
    if (stored && emitter.listenerCount('set') > 0) emitter.emit('set', key);
    return stored;
  }

  // ── writes ─────────────────────────────────────────────────────────────────────────────────────────────
  /** Checks that the value can be stored, and gives L1 the shape L2/L3 would give back (a fresh copy). */
  function normalise(value: unknown): unknown {
    const serialized = serializer.serialize(value);
    return serializer.deserialize(typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : Buffer.from(serialized));
  }

  /** Refuses bad TTLs, grace and tags before any work is done (a loader is not even called). */
  function validateSetOptions(setOptions: SetOptions | undefined): void {
    if (setOptions === undefined) return;
    if (setOptions.ttl !== undefined) assertValidTtl(setOptions.ttl);
    if (setOptions.grace !== undefined) assertValidTtl(setOptions.grace, 'grace');
    if (setOptions.tags !== undefined) assertValidTags(setOptions.tags);
    if (setOptions.priority !== undefined && !['low', 'medium', 'high'].includes(setOptions.priority)) {
      throw new ValidationError('E_INVALID_ARGUMENT', "[wai:cache-tiers] priority must be 'low', 'medium' or 'high'");
    }
  }

  /**
   * `createdAt` is when the data was read: for a load, when the loader started, so a tag invalidated while the
   * loader ran also invalidates its (possibly already outdated) result.
   */
  function makeEntry(value: unknown, setOptions: SetOptions | undefined, createdAt = clock.now()): { entry: CacheEntry; ttl: number } {
    validateSetOptions(setOptions);
    const ttl = setOptions?.ttl ?? defaultTTL;
    const entryGrace = setOptions?.grace ?? grace;
    const tags = setOptions?.tags ?? [];
    const expiresAt = Math.max(createdAt, clock.now()) + ttl * 1000;
    const entry: CacheEntry = { value: normalise(value), createdAt, expiresAt, staleUntil: expiresAt + entryGrace * 1000, tags: [...new Set(tags)] };
    if (setOptions?.priority) entry.priority = setOptions.priority;
    return { entry, ttl };
  }

  /**
   * A write (`set`), carried like an invalidation (`propagate`). Versioned tiers advance their clock, so fills
   * begun before the write are refused; a tier that cannot take it gets a delete queued, so it cannot serve the
   * value this write replaced when it comes back.
   */
  async function writeThrough(key: string, entry: CacheEntry, ttl: number): Promise<void> {
    await propagator.write(key, entry, () => {
      guard.markKey(key);
      l1?.deleteSync(key);
    });
    l1?.setSync(key, entry);
    hooks.emit('write', { op: 'set', key, ttl, tags: entry.tags });
    if (emitter.listenerCount('set') > 0) emitter.emit('set', key);
  }

  // Background work (write-behind after getOrSet, back-fills, lease releases): close() waits for it.
  const background = new Set<Promise<unknown>>();
  function track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => reportError(error)).finally(() => background.delete(tracked));
    background.add(tracked);
  }

  // ── bus, leases, and the way invalidations travel ─────────────────────────────────────────────────────
  const leaseWaiters = createLeaseWaiters(clock);
  const redisSlot = redis ? remote.find((slot) => slot.tier === redis) : undefined;
  const busLink =
    redis && redisSlot && (options.bus || leaseOptions)
      ? createBusLink({
          redis,
          slot: redisSlot,
          instanceId,
          bus: Boolean(options.bus),
          lease: Boolean(leaseOptions),
          guard,
          l1,
          holdTimeout,
          ackTimeout,
          writeTimeout,
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
    retryInterval: failSafeRetryInterval,
    maxSize: options.maxPendingInvalidations ?? 10_000,
    instanceId,
  });
  const propagator = createInvalidationPropagator({
    remote,
    versionedOf,
    busSlot: redisSlot,
    guard,
    outbox,
    instanceId,
    writeTimeout,
    flushTimeout,
    holdTimeout,
    purgeOnInvalidate,
    clock,
    logger,
    track,
  });

  // ── getOrSet ───────────────────────────────────────────────────────────────────────────────────────────
  const refreshes = createSingleFlight();
  const loaders = createLoaderRegistry(options.maxRememberedLoaders ?? 10_000);
  const failedAt = new Map<string, number>();

  /** Each versioned remote tier's version now (one round trip per tier, in parallel): a fill's starting point. */
  async function beginFill(): Promise<FillToken> {
    const token = newToken();
    await Promise.all(
      remote.map(async (slot, level) => {
        const versioned = versionedOf[level];
        if (!versioned || slot.pending.size > 0) return;
        const version = await slot.call(() => versioned.version());
        if (version.ok) token.remote[level] = version.value;
      }),
    );
    return token;
  }

  /**
   * The read-through past L1: one flight per key (in-process single-flight), registered before its first read.
   * A plain map of flight records rather than `createSingleFlight`: this runs on every L2 hit, and a record plus
   * one async frame cost less than the three chained promises a generic single-flight needs.
   */
  interface Flight {
    promise: Promise<unknown> | undefined;
    /** The guard's counter when the flight began, and the tags its result will carry: who may still join it. */
    local: number;
    tags: readonly string[];
  }
  const flights = new Map<string, Flight>();

  async function readThrough<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, flight: Flight): Promise<T> {
    try {
      // The token is taken before the first remote read: a load after a miss is a fill begun then.
      const token = newToken();
      const found = await lookup(key, true, true, token);
      if (isFresh(found)) {
        hit(key, found.tier);
        return found.entry.value as T;
      }
      return await resolveMissWith(key, loader, callOptions, token, found);
    } finally {
      if (flights.get(key) === flight) flights.delete(key);
    }
  }

  /** Past a read that found nothing fresh: fail-safe, the cross-instance lease, then the load. */
  async function resolveMissWith<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, token: FillToken, found: Found | undefined): Promise<T> {
    const stale = found?.entry;
    if (stale) {
      const failed = failedAt.get(key);
      if (failed !== undefined && clock.now() - failed < failSafeRetryInterval) {
        hit(key, found.tier);
        return stale.value as T; // fail-safe: the loader failed recently; do not hammer it
      }
    }
    miss(key);

    // Cross-instance single-flight: one instance loads, the others wait for its pub/sub announcement.
    let leaseHeld = false;
    const useLease = leaseOptions && (callOptions?.lease ?? true) && redis && busLink?.connected;
    if (useLease && redisSlot && redisSlot.breaker.state === 'closed') {
      const softTimeout = callOptions?.softTimeout ?? options.softTimeout;
      const waitMs = stale && softTimeout !== undefined ? Math.min(leaseOptions.wait, softTimeout) : leaseOptions.wait;
      const waitUntil = clock.monotonic() + waitMs;
      const waiter = leaseWaiters.wait(key, Math.min(waitMs, leaseOptions.poll));
      const acquired = await redisSlot.call((tier) => (tier as RedisTier).acquireLease(key, instanceId, leaseOptions.ttl));
      if (acquired.ok && acquired.value) {
        waiter.cancel();
        // Double-checked: another instance may have stored the value and freed the lease between our read
        // and our acquire (a cold key whose requests arrive spread out); loading again would be a second load.
        const loaded = await lookup(key, true);
        if (isFresh(loaded)) {
          track(releaseLease(key));
          hit(key, loaded.tier);
          return loaded.entry.value as T;
        }
        leaseHeld = true;
      } else if (acquired.ok) {
        // Someone else is loading. Re-check first (it may have finished before we subscribed), then wait.
        hooks.emit('stampedePrevented', { key, scope: 'lease' });
        let loaded = await lookup(key, true);
        let current = waiter;
        const lease = redis!;
        const holder = isFresh(loaded) ? undefined : await redisSlot.call(() => lease.leaseOwner(key));
        // Wait for this holder's load only: woken by its announcement, or every `lease.poll` ms to check that it
        // still holds the lease. Once it let go (announcement lost, holder crashed, or its result refused by an
        // invalidation) a new holder is not waited for again — under constant writes that would wait all of
        // `lease.wait` — and this caller loads itself.
        while (holder?.ok && holder.value !== null && !isFresh(loaded) && clock.monotonic() < waitUntil) {
          await current.promise;
          loaded = await lookup(key, true);
          if (isFresh(loaded)) break;
          const owner = await redisSlot.call(() => lease.leaseOwner(key));
          if (!owner.ok || owner.value !== holder.value) break;
          current = leaseWaiters.wait(key, Math.max(1, Math.min(leaseOptions.poll, waitUntil - clock.monotonic())));
        }
        current.cancel();
        if (isFresh(loaded)) return loaded.entry.value as T;
        // The holder is still refreshing: a stale value (within grace) beats a second load.
        if (stale) return stale.value as T;
      } else {
        waiter.cancel();
        // The acquire may have reached Redis and only its answer been lost: release it after the load, or the
        // other instances would wait for a lease nobody holds (release is compare-and-delete on our id).
        leaseHeld = true;
      }
    }
    return load(key, loader, callOptions, stale, leaseHeld, token);
  }

  async function load<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, stale: CacheEntry | undefined, leaseHeld: boolean, token: FillToken): Promise<T> {
    const started = clock.monotonic();
    const createdAt = clock.now();
    const loading = Promise.resolve()
      .then(() => loader({ key, stale: stale?.value as T | undefined }))
      .then(
        (value) => {
          hooks.emit('load', { key, latencyMs: clock.monotonic() - started });
          let made: ReturnType<typeof makeEntry>;
          try {
            made = makeEntry(value, callOptions, createdAt);
          } catch (error) {
            if (leaseHeld) track(releaseLease(key)); // an unserialisable result: nothing stored, lease freed
            throw error;
          }
          const { entry } = made;
          failedAt.delete(key);
          const writes = storeFill(key, entry, token);
          track(leaseHeld ? writes.finally(() => releaseLease(key)) : writes);
          return entry.value as T;
        },
        (error: unknown) => {
          hooks.emit('load', { key, latencyMs: clock.monotonic() - started, error });
          if (leaseHeld) track(releaseLease(key));
          throw error;
        },
      );
    const softTimeout = callOptions?.softTimeout ?? options.softTimeout;
    const hardTimeout = callOptions?.hardTimeout ?? options.hardTimeout;
    if (softTimeout === undefined && hardTimeout === undefined && !stale) return loading;

    return new Promise<T>((resolve, reject) => {
      const timers: TimerHandle[] = [];
      let settled = false;
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) timer.cancel();
        action();
      };
      const serveStale = () => {
        failedAt.set(key, clock.now());
        finish(() => resolve(stale!.value as T));
      };
      loading.then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => {
          if (settled) return reportError(error);
          if (stale && !hasCode(error, 'E_UNSERIALIZABLE_VALUE')) {
            reportError(error);
            serveStale();
          } else finish(() => reject(error));
        },
      );
      if (stale && softTimeout !== undefined) {
        // Answer with the stale value; the load goes on and stores its result when it comes.
        timers.push(clock.setTimeout(() => finish(() => resolve(stale.value as T)), softTimeout));
      }
      if (hardTimeout !== undefined) {
        timers.push(
          clock.setTimeout(() => {
            if (stale) return serveStale();
            finish(() => reject(new TimeoutError(`[wai:cache-tiers] loader for "${key}" did not finish within ${hardTimeout} ms (hardTimeout)`, { details: { key, hardTimeout } })));
          }, hardTimeout),
        );
      }
    });
  }

  async function releaseLease(key: string): Promise<void> {
    if (!redisSlot || !redis) return;
    const lease = redis;
    await redisSlot.call(() => lease.releaseLease(key, instanceId));
    await busLink?.announceLease(key);
  }

  // 'hit' / 'miss' listeners counted as they come and go, so the hot path reads a number, not listenerCount().
  let hitListeners = 0;
  let missListeners = 0;
  const countListeners = (event: string | symbol, delta: number) => {
    if (event === 'hit') hitListeners += delta;
    else if (event === 'miss') missListeners += delta;
  };
  (emitter as EventEmitter).on('newListener', (event: string | symbol) => countListeners(event, 1));
  (emitter as EventEmitter).on('removeListener', (event: string | symbol) => countListeners(event, -1));
  const hit = (key: string, tier: TierName) => {
    accessCounters.hits++;
    if (hooks.listening.access > 0) hooks.emit('access', { key, hit: true, tier });
    if (hitListeners > 0) emitter.emit('hit', key, tier);
  };
  const miss = (key: string) => {
    accessCounters.misses++;
    if (hooks.has('access')) hooks.emit('access', { key, hit: false, tier: undefined });
    if (missListeners > 0) emitter.emit('miss', key);
  };

  // ── the public object ──────────────────────────────────────────────────────────────────────────────────
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new ConfigError('[wai:cache-tiers] the cache is closed');
  };
  const plugins: CachePluginHandle[] = [];

  // Warming writes through `cache.set`, so warmed entries reach every tier and are announced on the bus.
  const warming = createWarmingManager({
    cache: {
      set: (key, value, setOptions) => cache.set(key, value, setOptions),
      beginFill: () => cache.beginFill(),
      fill: (token, key, value, setOptions) => cache.fill(token, key, value, setOptions),
    },
    intervalMs: options.warming?.intervalMs ?? 0,
    clock,
    logger,
  });

  const cache = Object.assign(emitter, {
    namespace,
    instanceId,
    clock,
    options: { extensions: { ...options.extensions }, defaultTTL },
    tiers: [...(l1 ? [{ tier: l1, name: l1.name, circuit: 'closed' as const }] : []), ...remote] as readonly ComposedTier[],

    async get<T = unknown>(key: string): Promise<T | undefined> {
      assertValidKey(key);
      assertOpen();
      if (l1) {
        const now = coarseNow();
        const entry = readL1(l1, key, now);
        if (entry !== undefined && entry.expiresAt > now) {
          hit(key, l1.name);
          return entry.value as T;
        }
      }
      const found = await lookup(key, l1 !== undefined);
      if (isFresh(found)) {
        hit(key, found.tier);
        return found.entry.value as T;
      }
      miss(key);
      return undefined;
    },

    async getEntry<T = unknown>(key: string): Promise<CacheEntry<T> | undefined> {
      assertValidKey(key);
      assertOpen();
      return (await lookup(key))?.entry as CacheEntry<T> | undefined;
    },

    async set<T = unknown>(key: string, value: T, setOptions?: SetOptions): Promise<void> {
      assertValidKey(key);
      assertOpen();
      const { entry, ttl } = makeEntry(value, setOptions);
      failedAt.delete(key);
      await writeThrough(key, entry, ttl);
    },

    beginFill(): Promise<FillToken> {
      if (closed) return Promise.reject(new ConfigError('[wai:cache-tiers] the cache is closed'));
      return beginFill();
    },

    async fill<T = unknown>(token: FillToken, key: string, value: T, setOptions?: SetOptions): Promise<boolean> {
      assertValidKey(key);
      assertOpen();
      if (!isFillToken(token)) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] fill needs the token beginFill() returned');
      const { entry } = makeEntry(value, setOptions);
      return storeFill(key, entry, token);
    },

    // Not an `async` method: returning the flight's promise from one would wrap it in another promise (two more
    // microtask hops on every L2 hit). Bad arguments still come back as a rejected promise, never a throw.
    getOrSet<T>(key: string, loader: Loader<T>, callOptions?: GetOrSetOptions): Promise<T> {
      try {
        assertValidKey(key);
        assertOpen();
        if (typeof loader !== 'function') throw new ConfigError('[wai:cache-tiers] getOrSet needs a loader function');
        validateSetOptions(callOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      if (callOptions?.predictive || options.rememberLoaders) loaders.remember(key, loader as (context: { key: string }) => unknown);
      if (l1) {
        // Fast path: a fresh L1 hit answers here, with no further promise, lookup or event object.
        const now = coarseNow();
        const entry = readL1(l1, key, now);
        if (entry !== undefined && entry.expiresAt > now) {
          hit(key, l1.name);
          return Promise.resolve(entry.value as T);
        }
      }
      const current = flights.get(key);
      // Joining a flight is a read that begins now: not one begun before an invalidation of the key or its tags
      // (its result may predate it). Such a flight still answers its own callers; newcomers start another.
      if (current?.promise && guard.allows(current.local, key, current.tags)) {
        hooks.emit('stampedePrevented', { key, scope: 'process' });
        return current.promise as Promise<T>;
      }
      // Registered before the read starts; readThrough removes it when it settles (even synchronously).
      const flight: Flight = { promise: undefined, local: guard.token(), tags: callOptions?.tags ?? [] };
      flights.set(key, flight);
      const promise = readThrough(key, loader, callOptions, flight);
      flight.promise = promise;
      return promise;
    },

    async delete(key: string): Promise<boolean> {
      assertValidKey(key);
      assertOpen();
      // "Existed" means a valid entry (fresh or stale) could be read: a row only a tag stamp invalidated does not count.
      const existed = (await lookup(key, false, false)) !== undefined;
      loaders.forget(key);
      failedAt.delete(key);
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
      failedAt.clear();
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
      const stale = (await lookup(key))?.entry;
      await refreshes.run(key, async () => load(key, loader, callOptions, stale, false, await beginFill())).promise;
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

    addWarmingStrategy: (strategy: Parameters<Cache['addWarmingStrategy']>[0]) => warming.addWarmingStrategy(strategy),
    removeWarmingStrategy: (name: string) => warming.removeWarmingStrategy(name),
    warm: (strategy?: string) => warming.warm(strategy),
    listWarmingStrategies: () => warming.listWarmingStrategies(),

    ready: () => busLink?.ready ?? Promise.resolve(),

    addHook: hooks.add,
    getLoader: (key: string) => loaders.get(key),
    rememberedKeys: () => loaders.keys(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await warming.close();
      await Promise.allSettled([...background]);
      await propagator.flush();
      for (const slot of remote) slot.stop();
      outbox.close();
      for (const plugin of plugins) await Promise.resolve(plugin.close?.()).catch(reportError);
      leaseWaiters.wakeAll();
      await busLink?.close();
      for (const slot of remote) if (slot.owned) await slot.tier.close().catch(reportError);
      if (ownsL1 && l1) await l1.close();
    },
  });

  const predictionPlugin = options.prediction ? [predictivePreloading(withoutModelUpdateInterval(options.prediction))] : [];
  for (const plugin of [...predictionPlugin, ...(options.plugins ?? [])]) {
    const handle = plugin(cache as Cache);
    if (handle) plugins.push(handle);
  }
  return cache as Cache;
}

function withoutModelUpdateInterval(options: NonNullable<CacheOptions['prediction']>): PredictivePreloadingOptions {
  const { modelUpdateInterval: _unused, ...rest } = options;
  return rest;
}

function isTier(value: unknown): value is CacheTier {
  return typeof value === 'object' && value !== null && typeof (value as CacheTier).get === 'function' && typeof (value as CacheTier).deleteByTag === 'function';
}

function isFillToken(value: unknown): value is FillToken {
  return typeof value === 'object' && value !== null && typeof (value as FillToken).local === 'number' && Array.isArray((value as FillToken).remote) && typeof (value as FillToken).startedAt === 'number';
}

function isRedisTier(tier: CacheTier): tier is RedisTier {
  return typeof (tier as Partial<RedisTier>).acquireLease === 'function' && typeof (tier as Partial<RedisTier>).duplicate === 'function';
}

function hasCode(error: unknown, code?: string): error is Error & { code: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && (code === undefined || (error as { code: string }).code === code);
}
