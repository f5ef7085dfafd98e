// `pnpm --filter @wai/middleware-fastify bench:cache-tests`: the HTTP WG cache-tests against Fastify as a reverse
// proxy (defaults, and the README's example options); writes bench/results/cache-tests-fastify.json and prints
// the README table.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchmarkCacheTests } from '@wai/metrics-core/http/testing';
import { cacheTestsDir, startFastifyProxy } from '../test/cache-tests-proxy.js';

const result = await benchmarkCacheTests({
  suiteDir: cacheTestsDir,
  packageName: '@wai/middleware-fastify',
  configurations: [
    { name: 'Fastify, defaults', startProxy: (origin) => startFastifyProxy(origin) },
    { name: 'Fastify, `{ ttl: 300, staleWhileRevalidate: 60 }`', startProxy: (origin) => startFastifyProxy(origin, { ttl: 300, staleWhileRevalidate: 60 }) },
  ],
});
writeFileSync(fileURLToPath(new URL('../../../bench/results/cache-tests-fastify.json', import.meta.url)), `${JSON.stringify(result.json, null, 2)}\n`);
console.log(result.table);
