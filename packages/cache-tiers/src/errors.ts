import { UnavailableError, ValidationError, type WaiErrorCode } from '@wai/metrics-core';

/**
 * Input checks shared by every entry point (the composed cache and tiers used on their own), so a bad key,
 * TTL or value is refused with the same typed `ValidationError` before anything is stored.
 */
export const MAX_KEY_LENGTH = 1024;

export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ValidationError('E_INVALID_KEY', `[wai:cache-tiers] a cache key must be a non-empty string (got ${describe(key)})`);
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new ValidationError('E_INVALID_KEY', `[wai:cache-tiers] a cache key must be at most ${MAX_KEY_LENGTH} characters (got ${key.length}); hash long keys first`);
  }
}

/** TTLs are seconds; `Infinity` is refused too (omit `ttl` for the default, or pass `0` for "expire now"). */
export function assertValidTtl(ttl: unknown, name = 'ttl'): asserts ttl is number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new ValidationError('E_INVALID_TTL', `[wai:cache-tiers] ${name} must be a finite number of seconds >= 0 (got ${describe(ttl)})`);
  }
}

export function assertValidTags(tags: unknown): asserts tags is readonly string[] {
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag.length === 0)) {
    throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] tags must be an array of non-empty strings');
  }
}

export function unserializable(reason: string, cause?: unknown): ValidationError {
  return new ValidationError('E_UNSERIALIZABLE_VALUE', `[wai:cache-tiers] value cannot be cached: ${reason}`, cause === undefined ? {} : { cause });
}

/** A tier call failed or its circuit is open; reads fall through, writes are dropped or queued. */
export function tierUnavailable(tier: string, cause: unknown): UnavailableError {
  const code: WaiErrorCode = tier === 'l2' ? 'E_CACHE_L2_UNAVAILABLE' : tier === 'l3' ? 'E_CACHE_L3_UNAVAILABLE' : 'E_CACHE_L1_ERROR';
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new UnavailableError(code, `[wai:cache-tiers] tier ${tier} is unavailable: ${reason}`, { cause, details: { tier } });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `a string of ${value.length} characters`;
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}
