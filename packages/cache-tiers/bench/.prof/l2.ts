import { createCache } from '../../src/cache.js';
const cache = createCache({ namespace: 'prof_' + process.pid, l1: false, l2: { redis: 'redis://127.0.0.1:6379' }, defaultTTL: 3600 });
const keys = Array.from({ length: 2000 }, (_, i) => `l2:${i}`);
const loader = async () => ({ id: 1, title: 'a workshop', seats: 20 });
for (const k of keys) await cache.getOrSet(k, loader, { ttl: 3600 });
for (let r = 0; r < 3; r++) {
  let ops = 0; const deadline = performance.now() + 1500; const t0 = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, w) => { let i = w; while (performance.now() < deadline) { await cache.getOrSet(keys[i % 2000]!, loader, { ttl: 3600 }); i += 64; ops++; } }));
  console.log('ops/s', Math.round(ops / ((performance.now() - t0) / 1000)));
}
await cache.clear(); await cache.close(); process.exit(0);
