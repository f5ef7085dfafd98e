import type { Clock } from '@wai/metrics-core';
import type { CacheEntry, SyncCacheTier, TierName } from '../tier.js';
import type { AccessEvents } from './access-events.js';
import type { BasicStats } from './basic-stats.js';
import { createCoarseNow } from './coarse-now.js';
import type { FillGuard } from './fill-guard.js';
import type { HookRegistry } from './hooks.js';
import type { TierStack } from './tier-stack.js';
import type { FillToken } from './types.js';

/** One L1 read in this many is timed for `latencyAvgMs` (a power of two). */
const L1_LATENCY_SAMPLE = 64;
/** One shared-tier read in this many is timed when no hook asks for each read's latency (a power of two). */
const REMOTE_LATENCY_SAMPLE = 8;

export interface Found {
  entry: CacheEntry;
  /** Index in the shared tiers' read order (-1 = L1). */
  level: number;
  tier: TierName;
}

/** A fill token under construction: the read path records each shared tier's version as it misses there. */
export type OpenFillToken = FillToken & { remote: Array<number | undefined> };

/**
 * Reads through the tier stack and stores what was read or loaded back into it — every store a fill checked
 * against the versions taken before the read (memcache leases, NSDI 2013 §3.2.1), so nothing read before an
 * invalidation is stored after it.
 */
export interface ReadPath {
  /** The caller's coarse clock reading for an L1 read (one per call on the hot path). */
  now(): number;
  /** An L1 read with its accounting. */
  readL1(tier: SyncCacheTier, key: string, now: number): CacheEntry | undefined;
  isFresh(found: Found | undefined): found is Found;
  /**
   * Looks through the tiers top-down; a hit below L1 back-fills the tiers above it (same absolute expiry). On a
   * miss at a versioned tier its version is read before the tier below is (one more round trip, misses only), so
   * the back-fill of what the lower tier gave is a fill like any other. With `token`, every tier's version is
   * recorded, for the load that follows the miss.
   */
  lookup(key: string, skipL1?: boolean, backfillHits?: boolean, token?: OpenFillToken): Promise<Found | undefined>;
  newToken(): OpenFillToken;
  /** Each versioned shared tier's version now (one round trip per tier, in parallel): a fill's starting point. */
  beginFill(): Promise<FillToken>;
  /**
   * Stores a value computed since `token` (a load, a response, a warmed entry) unless something invalidated its
   * key or one of its tags since: L1 by this process's guard, each versioned tier by its own versions. Resolves
   * true when every tier that could be asked took it.
   */
  storeFill(key: string, entry: CacheEntry, token: FillToken): Promise<boolean>;
}

export interface ReadPathOptions {
  stack: TierStack;
  guard: FillGuard;
  stats: BasicStats;
  hooks: HookRegistry;
  events: AccessEvents;
  clock: Clock;
  /** Background work (`close()` waits for it). */
  track(promise: Promise<unknown>): void;
}

export function createReadPath(options: ReadPathOptions): ReadPath {
  const { stack, guard, stats, hooks, events, clock, track } = options;
  const { l1, remote, versionedOf } = stack;
  // The L1-hit path is the hot path (tens of ns of work): plain counters, latency sampled 1 read in
  // L1_LATENCY_SAMPLE (two clock readings would cost as much as the read itself), no tag check (invalidations
  // drop L1 entries at once), hook events built only when a hook handles them.
  const l1Counters = stats.tier(l1?.name ?? 'l1');
  const remoteCounters = remote.map((slot) => stats.tier(slot.name));
  const now = createCoarseNow(clock, 1);
  let l1Reads = 0;
  let remoteReads = 0;

  function readL1(tier: SyncCacheTier, key: string, at: number): CacheEntry | undefined {
    const timed = hooks.listening.tierAccess > 0 || (++l1Reads & (L1_LATENCY_SAMPLE - 1)) === 0;
    const started = timed ? clock.monotonic() : 0;
    // No tag check here: every invalidation drops L1's entries at once, and the guard keeps fills begun before it out.
    const entry = tier.getSync(key, at);
    if (entry === undefined) l1Counters.misses++;
    else l1Counters.hits++;
    if (timed) {
      const latencyMs = clock.monotonic() - started;
      l1Counters.latencyTotal += latencyMs;
      l1Counters.latencySamples++;
      if (hooks.listening.tierAccess > 0 || hooks.listening.tierAccessSample > 0) {
        const event = { tier: tier.name, key, hit: entry !== undefined, stale: entry !== undefined && entry.expiresAt <= at, latencyMs };
        hooks.emit('tierAccess', event);
        hooks.emit('tierAccessSample', event);
      }
    }
    return entry;
  }

  const isFresh = (found: Found | undefined): found is Found => found !== undefined && found.entry.expiresAt > now();

  const newToken = (): OpenFillToken => ({ local: guard.token(), remote: [], startedAt: clock.monotonic() });

  async function lookup(key: string, skipL1 = false, backfillHits = true, token?: OpenFillToken): Promise<Found | undefined> {
    const local = token?.local ?? guard.token();
    const versions: Array<number | undefined> = token?.remote ?? [];
    let stale: Found | undefined;
    if (!skipL1 && l1) {
      const at = now();
      const entry = readL1(l1, key, at);
      if (entry) {
        if (entry.expiresAt > at) return { entry, level: -1, tier: l1.name };
        stale = { entry, level: -1, tier: l1.name };
      }
    }
    for (let level = 0; level < remote.length; level++) {
      const slot = remote[level]!;
      // Invalidations queued for this tier are not applied yet: what it holds may be what they invalidate.
      if (slot.pending.size > 0) continue;
      const listening = hooks.has('tierAccess') || hooks.has('tierAccessSample');
      // Latency is sampled as on L1 (every read while a hook wants each one): two clock readings per read were a
      // measurable share of an L2 hit.
      const timed = listening || (++remoteReads & (REMOTE_LATENCY_SAMPLE - 1)) === 0;
      const started = timed ? clock.monotonic() : 0;
      const read = await slot.get(key);
      const entry = read.ok ? read.value : undefined;
      if (read.ok) {
        const counters = remoteCounters[level]!;
        if (entry === undefined) counters.misses++;
        else counters.hits++;
        if (timed) {
          const latencyMs = clock.monotonic() - started;
          counters.latencyTotal += latencyMs;
          counters.latencySamples++;
          if (listening) {
            const event = { tier: slot.name, key, hit: entry !== undefined, stale: entry !== undefined && entry.expiresAt <= clock.now(), latencyMs };
            hooks.emit('tierAccess', event);
            hooks.emit('tierAccessSample', event);
          }
        }
      }
      if (entry && entry.expiresAt > now()) {
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

  /** L1 takes the entry when this process heard of no invalidation since `local`; upper shared tiers fill. */
  function backfill(key: string, entry: CacheEntry, level: number, local: number, versions: ReadonlyArray<number | undefined>) {
    if (l1 && guard.allows(local, key, entry.tags)) l1.setSync(key, entry);
    for (let index = 0; index < level; index++) {
      const versioned = versionedOf[index];
      const since = versions[index];
      if (versioned && since !== undefined) track(remote[index]!.call(() => versioned.fill(key, entry, since)));
      else if (!versioned) track(remote[index]!.call((tier) => tier.set(key, entry)));
    }
  }

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
    if (stored) events.set(key);
    return stored;
  }

  return { now, readL1, isFresh, lookup, newToken, beginFill, storeFill };
}
