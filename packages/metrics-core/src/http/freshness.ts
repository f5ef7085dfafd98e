/** How usable a stored response is now (RFC 5861 stale-while-revalidate bookkeeping). */
export type Freshness = 'fresh' | 'stale' | 'expired';

export interface FreshnessInfo {
  /** Epoch ms when the response was stored. */
  storedAt: number;
  /** Freshness lifetime (ms). */
  ttlMs: number;
  /** How long past its lifetime it may still be served while one revalidation runs (ms). */
  staleWhileRevalidateMs: number;
}

/**
 * `fresh` while age < ttl; `stale` while age < ttl + staleWhileRevalidate (serve it, revalidate in the
 * background, RFC 5861 §3); `expired` afterwards (a miss).
 */
export function freshnessOf(entry: FreshnessInfo, now: number): Freshness {
  const age = now - entry.storedAt;
  if (age < entry.ttlMs) return 'fresh';
  if (age < entry.ttlMs + entry.staleWhileRevalidateMs) return 'stale';
  return 'expired';
}

/** The `Age` header value (RFC 9111 §5.1) for a stored response: whole seconds, never negative. */
export function ageSeconds(entry: Pick<FreshnessInfo, 'storedAt'>, now: number): number {
  return Math.max(0, Math.floor((now - entry.storedAt) / 1000));
}
