import { hashKey } from '../admission/frequency-sketch.js';

/**
 * A miss-ratio curve from a spatially hashed sample of the key stream: SHARDS (C. Waldspurger, N. Park,
 * A. Garthwaite, I. Ahmad, "Efficient MRC Construction with SHARDS", USENIX FAST 2015). A key is sampled when
 * its hash falls below `rate` of the hash space, so every access of a sampled key is seen; the LRU stack
 * (reuse) distance among sampled keys, divided by `rate`, estimates the distance in the full stream (Mattson et
 * al. 1970: an LRU cache of size C hits exactly the accesses with reuse distance < C).
 *
 * Bounded: at most `maxTracked` sampled keys are kept (a key pushed out counts as cold when it returns), so
 * sizes up to `maxTracked / rate` entries are estimated; the stack walk is O(distance) over sampled keys only.
 */
export interface MissRatioCurve {
  /** Records one access (sampled or not — the filter is inside). */
  access(key: string): void;
  /** Estimated LRU hit rate 0..1 at each cache size (entries). */
  curve(sizes: readonly number[]): Array<{ size: number; hitRate: number }>;
  /** Sampled accesses so far. */
  readonly samples: number;
  readonly rate: number;
  clear(): void;
}

export interface MissRatioCurveOptions {
  /** Fraction of the key space sampled (0 < rate ≤ 1). @default 0.01 */
  rate?: number;
  /** Most sampled keys remembered. @default 4096 */
  maxTracked?: number;
}

interface StackNode {
  key: string;
  newer: StackNode | undefined;
  older: StackNode | undefined;
}

const HASH_SPACE = 2 ** 32;

export function createMissRatioCurve(options: MissRatioCurveOptions = {}): MissRatioCurve {
  const rate = options.rate ?? 0.01;
  const maxTracked = options.maxTracked ?? 4096;
  const threshold = Math.floor(rate * HASH_SPACE);
  // distances[d] = sampled accesses whose sampled reuse distance was d; cold ones (first or forgotten) are misses.
  const distances = new Float64Array(maxTracked + 1);
  let samples = 0;
  let accesses = 0;
  const nodes = new Map<string, StackNode>();
  let newest: StackNode | undefined;
  let oldest: StackNode | undefined;

  const unlink = (node: StackNode): void => {
    if (node.newer) node.newer.older = node.older;
    else newest = node.older;
    if (node.older) node.older.newer = node.newer;
    else oldest = node.newer;
    node.newer = undefined;
    node.older = undefined;
  };
  const pushNewest = (node: StackNode): void => {
    node.older = newest;
    node.newer = undefined;
    if (newest) newest.newer = node;
    else oldest = node;
    newest = node;
  };

  return {
    rate,
    get samples() {
      return samples;
    },
    access(key) {
      accesses++;
      if (hashKey(key) >= threshold) return;
      samples++;
      const node = nodes.get(key);
      if (node === undefined) {
        const added: StackNode = { key, newer: undefined, older: undefined };
        nodes.set(key, added);
        pushNewest(added);
        if (nodes.size > maxTracked && oldest !== undefined) {
          const dropped = oldest;
          unlink(dropped);
          nodes.delete(dropped.key);
        }
        return;
      }
      let distance = 0;
      for (let cursor = newest; cursor !== undefined && cursor !== node; cursor = cursor.older) distance++;
      distances[distance] = (distances[distance] ?? 0) + 1;
      unlink(node);
      pushNewest(node);
    },
    curve(sizes) {
      // SHARDS_adj (section 4.2 of the paper): a skewed stream makes the sample's share of accesses deviate
      // from `rate` (a hot key is in or out); the difference between expected and actual samples is credited to
      // the smallest distance (hot keys' reuse is short) and totals are normalised by the expected count.
      const expected = accesses * rate;
      if (samples === 0 || expected === 0) return sizes.map((size) => ({ size, hitRate: 0 }));
      const adjustment = expected - samples;
      return sizes.map((size) => {
        // Hit when the scaled distance is below the size: sampled distance d < size × rate.
        const limit = Math.min(maxTracked + 1, Math.ceil(size * rate));
        let hits = adjustment;
        for (let distance = 0; distance < limit; distance++) hits += distances[distance] ?? 0;
        return { size, hitRate: Math.min(1, Math.max(0, hits / expected)) };
      });
    },
    clear() {
      distances.fill(0);
      samples = 0;
      accesses = 0;
      nodes.clear();
      newest = undefined;
      oldest = undefined;
    },
  };
}
