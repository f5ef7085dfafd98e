import type { CacheAnalytics } from '@wai/metrics-core';
import type { TierName } from '../tier.js';
import type { WarmingApi } from './warming-contract.js';

/** What the cache reports to hooks (analytics, refresh-ahead, prediction). Times are ms. */
export interface CacheHookEvents {
  /** One tier read: `hit` when an entry came back (`stale` when past expiresAt), with its latency. */
  tierAccess: { tier: TierName; key: string; hit: boolean; stale: boolean; latencyMs: number };
  /** A cache-level answer: `hit` when a fresh value was served from any tier. */
  access: { key: string; hit: boolean; tier: TierName | undefined };
  /**
   * A sample of the answers, for statistics that must not slow the hot path: one hit in `weight` (the cache's
   * `accessSamplePeriod`) and every miss (`weight` 1). Summing `weight` estimates the counts without bias.
   */
  accessSample: { key: string; hit: boolean; tier: TierName | undefined; weight: number };
  /** The tier reads the cache times anyway: one L1 read in 64 and every L2/L3 read (latency statistics). */
  tierAccessSample: { tier: TierName; key: string; hit: boolean; stale: boolean; latencyMs: number };
  /** One loader call (`error` set when it threw or timed out). */
  load: { key: string; latencyMs: number; error?: unknown };
  /** A caller joined a load already running (`process`) or waited for another instance's lease (`lease`). */
  stampedePrevented: { key: string; scope: 'process' | 'lease' };
  /** An entry left a tier on the tier's own initiative (capacity, memory, expiry, admission). */
  evict: { tier: TierName; key: string; reason: string };
  /** A write through the cache API (or a replayed/bus one): set with its TTL (seconds) and tags, deletes, tags, clear. */
  write:
    | { op: 'set'; key: string; ttl: number; tags: readonly string[] }
    | { op: 'delete'; key: string }
    | { op: 'invalidateTag'; tag: string }
    | { op: 'clear' };
  /** A tier call failed (timeout, connection, SQL). */
  tierError: { tier: TierName; error: unknown };
  /** A tier's circuit opened (`up: false`) or closed again. */
  tierState: { tier: TierName; up: boolean };
}

export type CacheHook = { [E in keyof CacheHookEvents]?: (event: CacheHookEvents[E]) => void };

/**
 * A plugin receives the cache once at creation and may return a handle: `analytics` extends what
 * `getAnalytics()` returns (the base counts come first), `warming` serves `cache.addWarmingStrategy` / `warm` /
 * `listWarmingStrategies` (the first plugin offering it does), `close` runs in `cache.close()`.
 */
export interface CachePluginHandle {
  analytics?(base: CacheAnalytics): CacheAnalytics;
  warming?: WarmingApi;
  close?(): void | Promise<void>;
}

export interface HookRegistry {
  add(hook: CacheHook): () => void;
  emit<E extends keyof CacheHookEvents>(event: E, payload: CacheHookEvents[E]): void;
  /** True when some hook handles `event`: hot paths check this before building the event object. */
  has(event: keyof CacheHookEvents): boolean;
  /** Handlers per event (read-only view), for the hottest checks. */
  readonly listening: Readonly<Record<keyof CacheHookEvents, number>>;
  readonly size: number;
}

/** Hooks run synchronously; one that throws is reported through `onHookError` and never breaks a cache call. */
export function createHookRegistry(onHookError: (error: unknown) => void): HookRegistry {
  const hooks = new Set<CacheHook>();
  // Handlers per event, kept up to date on add/remove, so `has` is one property read on the hot path.
  const listening: Record<keyof CacheHookEvents, number> = { tierAccess: 0, access: 0, accessSample: 0, tierAccessSample: 0, load: 0, stampedePrevented: 0, evict: 0, write: 0, tierError: 0, tierState: 0 };
  const count = (hook: CacheHook, delta: number) => {
    for (const event of Object.keys(listening) as Array<keyof CacheHookEvents>) if (typeof hook[event] === 'function') listening[event] += delta;
  };
  return {
    add(hook) {
      if (!hooks.has(hook)) {
        hooks.add(hook);
        count(hook, 1);
      }
      return () => {
        if (hooks.delete(hook)) count(hook, -1);
      };
    },
    emit(event, payload) {
      if (listening[event] === 0) return;
      for (const hook of hooks) {
        const handler = hook[event];
        if (!handler) continue;
        try {
          handler(payload);
        } catch (error) {
          onHookError(error);
        }
      }
    },
    has: (event) => listening[event] > 0,
    listening,
    get size() {
      return hooks.size;
    },
  };
}
