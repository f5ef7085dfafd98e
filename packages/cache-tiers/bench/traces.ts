/**
 * Deterministic key traces for hit-ratio measurements (generated up front, outside any timed loop).
 * Zipf sampling inverts a precomputed CDF; the PRNG is mulberry32 so every run sees the same trace.
 */
import { mulberry32 } from '@wai/test-services/bench';

export { mulberry32 };

/** `length` key ids drawn from Zipf(`skew`) over `universe` keys (rank 1 most popular). */
export function zipfTrace(length: number, universe: number, skew: number, seed = 1): Uint32Array {
  const cdf = new Float64Array(universe);
  let total = 0;
  for (let rank = 0; rank < universe; rank++) cdf[rank] = total += 1 / Math.pow(rank + 1, skew);
  const random = mulberry32(seed);
  const trace = new Uint32Array(length);
  for (let index = 0; index < length; index++) {
    const target = random() * total;
    let low = 0;
    let high = universe - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cdf[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    // Scatter ranks over ids so popularity is not correlated with key order.
    trace[index] = Math.imul(low + 1, 2654435761) >>> 0;
  }
  return trace;
}

/**
 * Mixes one-hit keys (never requested again) into a trace: every `period` requests a burst of `burst` fresh keys,
 * like a batch job or crawler walking the key space.
 */
export function withScan(trace: Uint32Array, period: number, burst: number): Uint32Array {
  const bursts = Math.floor(trace.length / period);
  const mixed = new Uint32Array(trace.length + bursts * burst);
  let out = 0;
  let fresh = 0xf0000000;
  for (let index = 0; index < trace.length; index++) {
    mixed[out++] = trace[index] ?? 0;
    if ((index + 1) % period === 0) for (let count = 0; count < burst; count++) mixed[out++] = fresh++;
  }
  return mixed.subarray(0, out);
}

/** Recency-heavy: uniform requests over a working set of `workingSet` keys that slides forward by one key every `step` requests. */
export function slidingWindowTrace(length: number, workingSet: number, step: number, seed = 2): Uint32Array {
  const random = mulberry32(seed);
  const trace = new Uint32Array(length);
  for (let index = 0; index < length; index++) trace[index] = Math.floor(index / step) + Math.floor(random() * workingSet);
  return trace;
}

/**
 * Recency-heavy: the LRU stack-distance model (Mattson et al. 1970): with probability `fresh` a new key, else the
 * key at stack depth d with P(d) ∝ 1/d^skew among the `depth` most recent distinct keys.
 */
export function stackDistanceTrace(length: number, depth: number, fresh: number, seed = 3): Uint32Array {
  const random = mulberry32(seed);
  const recent: number[] = [];
  const trace = new Uint32Array(length);
  let next = 0;
  for (let index = 0; index < length; index++) {
    let key: number;
    if (recent.length === 0 || random() < fresh) {
      key = next++;
    } else {
      const position = Math.min(recent.length - 1, Math.floor(Math.pow(random(), 2) * Math.min(depth, recent.length)));
      key = recent.splice(position, 1)[0] ?? 0;
    }
    recent.unshift(key);
    if (recent.length > depth) recent.pop();
    trace[index] = key;
  }
  return trace;
}

/** Hit ratio of a cache-aside policy over a trace: a miss loads and stores the key. Keys are made once, up front. */
export function hitRatio(trace: Uint32Array, cache: { get(key: string): unknown; set(key: string, value: string): void }, warmup = 0): number {
  const keys = Array.from(trace, (id) => `k${id}`);
  let hits = 0;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    if (cache.get(key) !== undefined) {
      if (index >= warmup) hits++;
    } else {
      cache.set(key, key);
    }
  }
  return hits / (keys.length - warmup);
}
