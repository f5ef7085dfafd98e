import { ValidationError, type Clock } from '@wai/metrics-core';
import { assertValidTags, assertValidTtl } from '../errors.js';
import type { Serializer } from '../serializer.js';
import type { CacheEntry } from '../tier.js';
import type { SetOptions } from './types.js';

/** Turns a caller's value and options into the entry every tier stores. */
export interface EntryFactory {
  /** Refuses bad TTLs, grace, tags and priorities before any work is done (a loader is not even called). */
  validate(setOptions: SetOptions | undefined): void;
  /**
   * `createdAt` is when the data was read: for a load, when the loader started, so a tag invalidated while the
   * loader ran also invalidates its (possibly already outdated) result.
   */
  make(value: unknown, setOptions: SetOptions | undefined, createdAt?: number): { entry: CacheEntry; ttl: number };
}

export function createEntryFactory(options: { serializer: Serializer; clock: Clock; defaultTTL: number; grace: number }): EntryFactory {
  const { serializer, clock, defaultTTL, grace } = options;

  /** Checks that the value can be stored, and gives L1 the shape L2/L3 would give back (a fresh copy). */
  const normalise = (value: unknown): unknown => {
    const serialized = serializer.serialize(value);
    return serializer.deserialize(typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : Buffer.from(serialized));
  };

  const validate = (setOptions: SetOptions | undefined): void => {
    if (setOptions === undefined) return;
    if (setOptions.ttl !== undefined) assertValidTtl(setOptions.ttl);
    if (setOptions.grace !== undefined) assertValidTtl(setOptions.grace, 'grace');
    if (setOptions.tags !== undefined) assertValidTags(setOptions.tags);
    if (setOptions.priority !== undefined && !['low', 'medium', 'high'].includes(setOptions.priority)) {
      throw new ValidationError('E_INVALID_ARGUMENT', "[wai:cache-tiers] priority must be 'low', 'medium' or 'high'");
    }
  };

  return {
    validate,
    make(value, setOptions, createdAt = clock.now()) {
      validate(setOptions);
      const ttl = setOptions?.ttl ?? defaultTTL;
      const entryGrace = setOptions?.grace ?? grace;
      const expiresAt = Math.max(createdAt, clock.now()) + ttl * 1000;
      const entry: CacheEntry = { value: normalise(value), createdAt, expiresAt, staleUntil: expiresAt + entryGrace * 1000, tags: [...new Set(setOptions?.tags ?? [])] };
      if (setOptions?.priority) entry.priority = setOptions.priority;
      return { entry, ttl };
    },
  };
}
