/**
 * Space-Saving top-k (A. Metwally, D. Agrawal, A. El Abbadi, "Efficient Computation of Frequent and Top-k
 * Elements in Data Streams", ICDT 2005): `capacity` counters; an unmonitored key replaces the key with the
 * smallest count and inherits that count (+1) as its error bound. Any key with true frequency above N/capacity
 * is guaranteed to be monitored. Counters sit in a binary min-heap, so an offer is O(log capacity).
 */
export interface TopKeys {
  /** Counts `weight` occurrences of `key` (a sampled stream offers each sample with the sampling period). @default 1 */
  offer(key: string, weight?: number): void;
  /** The `limit` most frequent keys, highest count first (`count` may overestimate by at most `error`). */
  top(limit?: number): Array<{ key: string; count: number; error: number }>;
  clear(): void;
  readonly size: number;
}

interface Counter {
  key: string;
  count: number;
  error: number;
  position: number;
}

export function createTopKeys(capacity = 256): TopKeys {
  const heap: Counter[] = [];
  const byKey = new Map<string, Counter>();

  const swap = (left: number, right: number): void => {
    const a = heap[left] as Counter;
    const b = heap[right] as Counter;
    heap[left] = b;
    heap[right] = a;
    b.position = left;
    a.position = right;
  };

  const siftDown = (start: number): void => {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && (heap[left] as Counter).count < (heap[smallest] as Counter).count) smallest = left;
      if (right < heap.length && (heap[right] as Counter).count < (heap[smallest] as Counter).count) smallest = right;
      if (smallest === index) return;
      swap(index, smallest);
      index = smallest;
    }
  };

  const siftUp = (start: number): void => {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((heap[parent] as Counter).count <= (heap[index] as Counter).count) return;
      swap(index, parent);
      index = parent;
    }
  };

  return {
    offer(key, weight = 1) {
      const counter = byKey.get(key);
      if (counter !== undefined) {
        counter.count += weight;
        siftDown(counter.position);
        return;
      }
      if (heap.length < capacity) {
        const added: Counter = { key, count: weight, error: 0, position: heap.length };
        heap.push(added);
        byKey.set(key, added);
        siftUp(added.position);
        return;
      }
      const minimum = heap[0] as Counter;
      byKey.delete(minimum.key);
      minimum.key = key;
      minimum.error = minimum.count;
      minimum.count += weight;
      byKey.set(key, minimum);
      siftDown(0);
    },
    top(limit = 10) {
      return [...heap]
        .sort((a, b) => b.count - a.count)
        .slice(0, limit)
        .map(({ key, count, error }) => ({ key, count, error }));
    },
    clear() {
      heap.length = 0;
      byKey.clear();
    },
    get size() {
      return heap.length;
    },
  };
}
