import { ConfigError, silentLogger, systemClock, type Clock, type Logger } from '@wai/metrics-core';
import { assertValidNamespace } from '../l2/redis-keys.js';
import { assertValidTtl } from '../errors.js';
import { jsonSerializer, type Serializer } from '../serializer.js';
import type { CacheOptions, L2Options } from './options.js';

/** `CacheOptions` with every default applied and every number checked: the one place defaults live. */
export interface ResolvedCacheOptions {
  namespace: string;
  clock: Clock;
  logger: Logger;
  serializer: Serializer;
  defaultTTL: number;
  grace: number;
  commandTimeout: number;
  failSafeRetryInterval: number;
  /** Absent when leases are off. */
  lease: { ttl: number; wait: number; poll: number } | undefined;
  bus: boolean;
  flushTimeout: number;
  handoffInterval: number;
  writeTimeout: number;
  ackTimeout: number;
  softTimeout: number | undefined;
  hardTimeout: number | undefined;
  compressionThreshold: number | false;
  purgeOnInvalidate: boolean;
  maxPendingInvalidations: number;
  maxTagStamps: number;
  accessSamplePeriod: number;
  hotKeyThreshold: number | undefined;
  failureThreshold: number;
  resetTimeout: number;
  rememberLoaders: boolean;
  maxRememberedLoaders: number;
  /** The warming plugin's interval (0 = only on `warm()`); absent when `warming: false` leaves the plugin out. */
  warmingIntervalMs: number | undefined;
}

/** Refuses bad settings at creation with a `ConfigError` naming the option; callers' objects are never mutated. */
export function resolveCacheOptions(options: CacheOptions, l2Options: L2Options | undefined): ResolvedCacheOptions {
  const namespace = options.namespace ?? 'wai';
  assertValidNamespace(namespace);
  const defaultTTL = options.defaultTTL ?? l2Options?.defaultTTL ?? 3600;
  assertValidTtl(defaultTTL, 'defaultTTL');
  const grace = options.grace ?? 0;
  assertValidTtl(grace, 'grace');
  // A caller waits at most `lease.wait` for another instance's load (then loads itself): the README's worst case.
  const lease = options.lease ? { ttl: 10_000, wait: 5000, poll: 50, ...(options.lease === true ? {} : options.lease) } : undefined;
  if (lease) {
    for (const [name, value] of Object.entries({ 'lease.ttl': lease.ttl, 'lease.wait': lease.wait, 'lease.poll': lease.poll })) {
      if (!Number.isFinite(value) || value < 1) throw new ConfigError(`[wai:cache-tiers] ${name} must be a number of ms >= 1`);
    }
  }
  const resolved: ResolvedCacheOptions = {
    namespace,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    serializer: options.serializer ?? jsonSerializer,
    defaultTTL,
    grace,
    commandTimeout: options.commandTimeout ?? 500,
    failSafeRetryInterval: options.failSafeRetryInterval ?? 1000,
    lease,
    bus: Boolean(options.bus),
    flushTimeout: options.flushTimeout ?? 2000,
    handoffInterval: options.handoffInterval ?? 500,
    writeTimeout: options.writeTimeout ?? 1000,
    ackTimeout: options.busAckTimeout ?? 1000,
    softTimeout: options.softTimeout,
    hardTimeout: options.hardTimeout,
    compressionThreshold: options.compressionThreshold ?? 1024,
    purgeOnInvalidate: options.purgeOnInvalidate ?? false,
    maxPendingInvalidations: options.maxPendingInvalidations ?? 10_000,
    maxTagStamps: options.maxTagStamps ?? 100_000,
    accessSamplePeriod: options.accessSamplePeriod ?? 32,
    hotKeyThreshold: options.l1 && !('getSync' in options.l1) ? options.l1.hotKeyThreshold : undefined,
    failureThreshold: options.circuitBreaker?.failureThreshold ?? 3,
    resetTimeout: options.circuitBreaker?.resetTimeout ?? 1000,
    rememberLoaders: options.rememberLoaders ?? false,
    maxRememberedLoaders: options.maxRememberedLoaders ?? 10_000,
    warmingIntervalMs: options.warming === false ? undefined : (options.warming?.intervalMs ?? 0),
  };
  const durations = {
    commandTimeout: resolved.commandTimeout,
    writeTimeout: resolved.writeTimeout,
    busAckTimeout: options.busAckTimeout,
    failSafeRetryInterval: resolved.failSafeRetryInterval,
    flushTimeout: resolved.flushTimeout,
    handoffInterval: resolved.handoffInterval,
    softTimeout: options.softTimeout,
    hardTimeout: options.hardTimeout,
  };
  for (const [name, value] of Object.entries(durations)) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw new ConfigError(`[wai:cache-tiers] ${name} must be a number of ms >= 0`);
  }
  const hot = resolved.hotKeyThreshold;
  if (hot !== undefined && !(Number.isInteger(hot) && hot >= 1)) throw new ConfigError(`[wai:cache-tiers] l1.hotKeyThreshold must be an integer >= 1 (accesses), got ${String(hot)}`);
  const period = resolved.accessSamplePeriod;
  if (!Number.isInteger(period) || period < 1 || (period & (period - 1)) !== 0) {
    throw new ConfigError(`[wai:cache-tiers] accessSamplePeriod must be a power of two >= 1 (1 = every access), got ${String(period)}`);
  }
  return resolved;
}
