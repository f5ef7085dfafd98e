/**
 * Row 5, in its own process (run with --expose-gc): 1,000,000 distinct keys written through an L1 bounded by
 * `maxMemory`, values of mixed shapes and sizes (50 B – 8 KB strings, objects, number arrays); then the memory the
 * tier retains (heapUsed + arrayBuffers after GC, minus the same before the tier existed: L1 keeps part of its
 * bookkeeping in typed arrays, outside V8's heap) is compared with `maxMemory`.
 */
import { createMemoryTier } from '../src/l1/index.js';
import { mulberry32 } from './traces.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const maxMemory = Number(process.argv[2] ?? 64 * 1024 * 1024);
const keys = Number(process.argv[3] ?? 1_000_000);
const random = mulberry32(5);
const alphabet = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '.repeat(300));
// Buffer#toString makes a fresh flat string each time (a slice of a shared string would retain its parent).
const text = (length: number) => alphabet.toString('latin1', 0, length);
const makeValue = (index: number): unknown => {
  switch (index % 4) {
    case 0:
      return text(50 + Math.floor(random() * 8000));
    case 1:
      return { id: index, name: text(20 + Math.floor(random() * 200)), score: index * 1.5, active: index % 2 === 0, tags: ['x', 'y'] };
    case 2:
      return Array.from({ length: 10 + Math.floor(random() * 200) }, (_, position) => position * 0.5 + index);
    default:
      return text(50 + Math.floor(random() * 400));
  }
};

gc();
gc();
const retained = () => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};
const before = retained();
const tier = createMemoryTier({ maxSize: 10_000_000, maxMemory, purgeIntervalMs: 0 });
const now = Date.now();
for (let index = 0; index < keys; index++) {
  tier.setSync(`key:${index}`, { value: makeValue(index), createdAt: now, expiresAt: now + 3_600_000, staleUntil: now + 3_600_000, tags: [] });
}
gc();
gc();
const resident = retained() - before;
const result = { maxMemory, resident, estimated: tier.memoryBytes, entries: tier.size, evictions: tier.evictions };
if (process.send) process.send(result);
else console.log(JSON.stringify(result));
