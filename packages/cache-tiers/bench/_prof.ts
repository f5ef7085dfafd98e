import { createCache } from '../src/cache.js';
const keys = Array.from({ length: 64 }, (_, i) => `hot:${i}`);
const loader = async () => ({ id: 1, name: 'x' });
const withL2 = process.argv[2] === 'l2';
const cache = createCache({ namespace: 'prof' + Math.random(), l1: { maxSize: 10_000 }, ...(withL2 ? { l2: { redis: 'redis://127.0.0.1:6379' } } : {}), defaultTTL: 3600 });
for (const k of keys) await cache.getOrSet(k, loader, { ttl: 3600 });
let index = 0;
const results: number[] = [];
for (let round = 0; round < 30; round++) {
  const N = 100_000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await cache.getOrSet(keys[index++ & 63]!, loader, { ttl: 3600 });
  results.push(Number(process.hrtime.bigint() - t) / N);
}
results.sort((a, b) => a - b);
console.log(withL2 ? 'l2' : 'l1only', results.slice(0, 15).map((x) => x.toFixed(0)).join(' '));
await cache.close();
process.exit(0);
