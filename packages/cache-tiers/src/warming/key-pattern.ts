import { ValidationError } from '@wai/metrics-core';

/**
 * Compiles glob patterns over cache keys (`*` matches any run of characters, `?` one character; everything else
 * literal) into one matcher. `['*']` matches every key.
 */
export function compileKeyPatterns(patterns: readonly string[]): (key: string) => boolean {
  if (!Array.isArray(patterns) || patterns.some((pattern) => typeof pattern !== 'string' || pattern.length === 0)) {
    throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] key patterns must be non-empty strings, e.g. "workshop:popular:*"');
  }
  if (patterns.includes('*')) return () => true;
  const source = patterns
    .map((pattern) => pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'))
    .join('|');
  const expression = new RegExp(`^(?:${source})$`, 's');
  return (key) => expression.test(key);
}
