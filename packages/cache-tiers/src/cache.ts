/**
 * The composed cache: `createCache(options)` → L1 memory → L2 Redis → L3 SQL, with getOrSet (single-flight,
 * optional cross-instance lease, fail-safe, soft/hard timeouts), tags, the invalidation bus and a circuit
 * breaker per remote tier. It satisfies core's `CacheStore` and `CacheStatsSource`.
 *
 * ## Extension points (for analytics, refresh-ahead, warming, prediction — no edits to the cache needed)
 *
 * 1. Hooks — `cache.addHook({ … })` (or `CacheOptions.hooks`) subscribes to internal events, synchronously,
 *    with no cost when nobody listens (see `CacheHookEvents` in `./cache/hooks.ts`):
 *    - `tierAccess { tier, key, hit, stale, latencyMs }` — every tier read (L1 included; while a hook handles
 *      it every L1 read is timed, otherwise the built-in counters time 1 L1 read in 64);
 *    - `access { key, hit, tier }` — every answer of get/getOrSet (hit = fresh value from some tier);
 *    - `load { key, latencyMs, error? }` — every loader call;
 *    - `stampedePrevented { key, scope: 'process' | 'lease' }`;
 *    - `evict { tier, key, reason }` — L1 evictions (capacity, memory, expired, admission);
 *    - `write { op: 'set', key, ttl, tags } | { op: 'delete', key } | { op: 'invalidateTag', tag } | { op: 'clear' }`;
 *    - `tierError { tier, error }`, `tierState { tier, up }`.
 *    A hook that throws is logged and ignored. Event objects are built only for events some hook handles, and
 *    the built-in counters (`getAnalytics()`) are plain increments on the read paths, not hooks.
 * 2. Loaders — `getOrSet(key, loader, { predictive: true })` (or `rememberLoaders: true` on the cache) keeps the
 *    latest loader per key in a bounded map (`maxRememberedLoaders`, least recently remembered dropped first).
 *    Read it with `cache.getLoader(key)` / `cache.rememberedKeys()`, and reload through `cache.refresh(key)`
 *    (single-flight, stores the result in every tier).
 * 3. Plugins — `CacheOptions.plugins: [(cache) => ({ analytics(base) { return { ...base, topKeys } }, close() {} })]`
 *    are called once at creation; `analytics` extends `getAnalytics()` (the cache's basic counters come
 *    first), `close` runs in `cache.close()`. Plugin settings travel in `CacheOptions.extensions`
 *    (read back as `cache.options.extensions`).
 * 4. `cache.tiers` lists the composed tiers with their circuit state; `cache.clock` is the injected clock.
 *
 * Events (`cache.on(…)`): 'hit' (key, tier) | 'miss' (key) | 'set' (key) | 'evict' (key, tier, reason) |
 * 'error' (error; only emitted when someone listens) | 'tier:down' (tier, error) | 'tier:up' (tier).
 */
export { createCache } from './cache/create-cache.js';
export type { CacheOptions, CircuitOptions, L1Options, L2Options, LeaseOptions } from './cache/options.js';
export type { Cache, CacheEvents, ComposedTier, FillToken, GetOrSetOptions, Loader, LoaderContext, SetOptions } from './cache/types.js';
export type { CacheHook, CacheHookEvents, CachePluginHandle } from './cache/hooks.js';
export type { RememberedLoader } from './cache/loader-registry.js';
