/**
 * Rows "L1 memory per entry" and "L1 uniformly random hit", one measurement per process (run with --expose-gc):
 * `<contestant> <entries> [quick]` fills caches of `entries` small entries each (key `key:<n>`, value
 * `{ id: 'k:<n>' }`, 1 h TTL) and reports the memory they retain per entry, then times uniformly random hits on
 * the first one. Small sizes fill several caches (at least 100,000 entries in all) so the reading stands above
 * the heap's noise; each cache's fixed cost counts. A fresh process per measurement keeps one contestant's heap
 * and JIT state out of the other's figures.
 *
 * Retained memory = (heapUsed + arrayBuffers) after GC, once the caches have been read, minus the same before
 * they existed (the harness's own few kB are inside the difference, for both alike): typed-array
 * backing stores live outside V8's heap (`arrayBuffers`), and both caches keep part of their bookkeeping there.
 */
import { LRUCache } from 'lru-cache';
import { Bench } from 'tinybench';
import { createMemoryTier } from '../src/l1/index.js';
import { mulberry32 } from './traces.js';

export interface FootprintResult {
  contestant: string;
  entries: number;
  /** Bytes retained per entry: heapUsed + arrayBuffers. */
  bytesPerEntry: number;
  /** The heapUsed part alone. */
  heapPerEntry: number;
  /** Median ns per awaited hit (`await tier.get(key)` / `await lru.get(key)`). */
  awaitedNs: number;
  /** Median ns per synchronous hit (`tier.getSync(key)` / `lru.get(key)`). */
  syncNs: number;
}

interface Subject {
  set(key: string, value: object): void;
  getAsync(key: string): Promise<unknown>;
  getSync(key: string): unknown;
  readonly size: number;
}

const TTL_MS = 3_600_000;

function createSubject(contestant: string, entries: number): Subject {
  if (contestant === 'lru-cache') {
    const lru = new LRUCache<string, object>({ max: entries, ttl: TTL_MS });
    return {
      set: (key, value) => void lru.set(key, value),
      getAsync: async (key) => lru.get(key),
      getSync: (key) => lru.get(key),
      get size() {
        return lru.size;
      },
    };
  }
  const tier = createMemoryTier({ maxSize: entries, maxMemory: Infinity, purgeIntervalMs: 0 });
  return {
    // The entry as the composed cache builds it: a fresh tags array per entry (`makeEntry`).
    set: (key, value) => {
      const now = Date.now();
      tier.setSync(key, { value, createdAt: now, expiresAt: now + TTL_MS, staleUntil: now + TTL_MS, tags: [] });
    },
    getAsync: (key) => tier.get(key),
    getSync: (key) => tier.getSync(key),
    get size() {
      return tier.size;
    },
  };
}

async function measure(contestant: string, entries: number, quick: boolean): Promise<FootprintResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const BATCH = 256;
  const random = mulberry32(17);
  const order = new Uint32Array(1 << 16);
  for (let index = 0; index < order.length; index++) order[index] = Math.floor(random() * entries);
  const retained = () => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return { heap: usage.heapUsed, total: usage.heapUsed + usage.arrayBuffers };
  };
  const instances = Math.ceil(100_000 / entries);
  const before = retained();
  const subjects = Array.from({ length: instances }, () => createSubject(contestant, entries));
  for (const subject of subjects) for (let index = 0; index < entries; index++) subject.set(`key:${index}`, { id: `k:${index}` });
  const subject = subjects[0]!;
  if (subject.size !== entries) throw new Error(`${contestant} holds ${subject.size} of ${entries} entries`);

  // Lookup keys are fresh strings equal to the stored ones, as a request would build them; made after the heap
  // reading so they are not counted, and before timing so their hashes are not.
  const lookups = Array.from(order, (id) => `key:${id}`);
  for (const key of lookups) subject.getSync(key);
  const mask = lookups.length - 1;
  let cursor = 0;
  const bench = new Bench({ time: quick ? 300 : 1000, warmupTime: 200 });
  let found = 0;
  bench.add('awaited', async () => {
    for (let count = 0; count < BATCH; count++) if ((await subject.getAsync(lookups[cursor++ & mask] as string)) !== undefined) found++;
  });
  bench.add('sync', () => {
    for (let count = 0; count < BATCH; count++) if (subject.getSync(lookups[cursor++ & mask] as string) !== undefined) found++;
  });
  await bench.run();
  if (found === 0) throw new Error(`${contestant}: no hits`);
  // Memory is read after reads, not right after the fill: whatever a read leaves behind (our tier keeps the
  // last entries it built for hot slots) counts. Every cache is read; the lookup keys are dropped first.
  lookups.length = 0;
  for (const each of subjects) for (let index = 0; index < Math.min(entries, 4096); index++) each.getSync(`key:${(index * 7919) % entries}`);
  const after = retained();
  // Also keeps every cache reachable until after the reading (a dead local may be collected before it).
  const held = subjects.reduce((total, each) => total + each.size, 0);
  if (held !== entries * instances) throw new Error(`${contestant} holds ${held} of ${entries * instances} entries`);
  const median = (name: string) => {
    const latency = (bench.tasks.find((task) => task.name === name)?.result as { latency?: { p50?: number } } | undefined)?.latency;
    return ((latency?.p50 ?? Number.NaN) * 1e6) / BATCH;
  };
  return {
    contestant,
    entries,
    bytesPerEntry: (after.total - before.total) / (entries * instances),
    heapPerEntry: (after.heap - before.heap) / (entries * instances),
    awaitedNs: median('awaited'),
    syncNs: median('sync'),
  };
}

const [contestant = 'ours', entriesArgument = '1000', mode = ''] = process.argv.slice(2);
const result = await measure(contestant, Number(entriesArgument), mode === 'quick');
if (process.send) process.send(result, () => process.exit(0));
else {
  console.log(JSON.stringify(result));
  process.exit(0);
}
