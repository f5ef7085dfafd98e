import { ConfigError } from '@wai/metrics-core';

/**
 * A count-min sketch of access frequencies with 4-bit counters and periodic halving ("aging"), the admission
 * filter of TinyLFU: G. Einziger, R. Friedman, B. Manes, "TinyLFU: A Highly Efficient Cache Admission Policy",
 * ACM Transactions on Storage 13(4), 2017. Counters saturate at 15; after `sampleSize` increments every
 * counter is halved, so the sketch forgets old popularity and tracks the recent frequency of each key.
 *
 * Layout: `depth` (4) rows of `width` counters, 8 counters packed per 32-bit word. Every row's index derives
 * from one 32-bit key hash, so a key is hashed once — callers that keep the hash (the L1 tier stores it on its
 * entry) never rehash the key on a hit.
 */
export interface FrequencySketch {
  /** Records one access of a key by its hash (see `hashKey`). */
  increment(hash: number): void;
  /** The estimated recent access count, 0..15 (count-min: never below the true count since the last aging). */
  frequency(hash: number): number;
  /** Forget everything. */
  clear(): void;
  readonly width: number;
  /** Increments until the next halving. */
  readonly sampleSize: number;
}

export interface FrequencySketchOptions {
  /**
   * Expected number of distinct keys to tell apart (the cache capacity). The row width is the next power of
   * two at or above it (at least 64).
   * @default 1024
   */
  capacity?: number;
  /**
   * Increments between two halvings, as a multiple of the width (TinyLFU's W/C ratio; the paper uses 10).
   * @default 10
   */
  sampleFactor?: number;
}

const DEPTH = 4;
const COUNTERS_PER_WORD = 8;
const MAX_COUNT = 15;
const ROW_MULTIPLIERS = [0x9e3779b1, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f];

/** 32-bit FNV-1a over UTF-16 code units, finished with a Murmur3 avalanche so low bits are well mixed. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export function createFrequencySketch(options: FrequencySketchOptions = {}): FrequencySketch {
  const capacity = options.capacity ?? 1024;
  const sampleFactor = options.sampleFactor ?? 10;
  if (!Number.isFinite(capacity) || capacity < 1) {
    throw new ConfigError(`[wai:cache-tiers] frequency sketch \`capacity\` must be a finite number >= 1, got ${String(capacity)}`);
  }
  if (!Number.isFinite(sampleFactor) || sampleFactor <= 0) {
    throw new ConfigError(`[wai:cache-tiers] frequency sketch \`sampleFactor\` must be a positive number, got ${String(sampleFactor)}`);
  }
  let width = 64;
  while (width < capacity && width < 1 << 26) width *= 2;
  const wordsPerRow = width / COUNTERS_PER_WORD;
  const table = new Uint32Array(wordsPerRow * DEPTH);
  const sampleSize = Math.max(1, Math.round(width * sampleFactor));
  let additions = 0;

  // Row r's slot: multiply-shift hashing with a per-row odd multiplier (Dietzfelbinger et al. 1997), taking
  // the top bits, so every bit of the key's hash moves every row's slot and rows collide independently.
  const shift = 32 - Math.log2(width);
  const slot = (hash: number, row: number): number => Math.imul(hash, ROW_MULTIPLIERS[row] ?? 1) >>> shift;

  const read = (row: number, index: number): number => {
    const word = table[row * wordsPerRow + (index >>> 3)] ?? 0;
    return (word >>> ((index & 7) << 2)) & 0xf;
  };

  /** Halve every counter: shift each packed word right by one and clear the bit that crossed a nibble. */
  const age = (): void => {
    for (let index = 0; index < table.length; index++) table[index] = ((table[index] ?? 0) >>> 1) & 0x77777777;
    additions = Math.floor(additions / 2);
  };

  return {
    width,
    sampleSize,
    increment(hash) {
      // Conservative update: only the minimal counters grow, which tightens count-min's overestimate.
      let minimum = MAX_COUNT;
      for (let row = 0; row < DEPTH; row++) minimum = Math.min(minimum, read(row, slot(hash, row)));
      if (minimum === MAX_COUNT) return;
      for (let row = 0; row < DEPTH; row++) {
        const index = slot(hash, row);
        if (read(row, index) === minimum) {
          const word = row * wordsPerRow + (index >>> 3);
          table[word] = (table[word] ?? 0) + (1 << ((index & 7) << 2));
        }
      }
      if (++additions >= sampleSize) age();
    },
    frequency(hash) {
      let minimum = MAX_COUNT;
      for (let row = 0; row < DEPTH; row++) minimum = Math.min(minimum, read(row, slot(hash, row)));
      return minimum;
    },
    clear() {
      table.fill(0);
      additions = 0;
    },
  };
}
