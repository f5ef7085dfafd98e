// `pnpm --filter @wai/middleware-express bench:cache-tests`: the HTTP WG cache-tests against Express as a reverse
// proxy (defaults, and the README's example options); writes bench/results/cache-tests-express.json and prints
// the README table.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchmarkCacheTests } from '@wai/metrics-core/http/testing';
import { cacheTestsDir, startExpressProxy } from '../test/cache-tests-proxy.js';

const result = await benchmarkCacheTests({
  suiteDir: cacheTestsDir,
  packageName: '@wai/middleware-express',
  configurations: [
    { name: 'Express, defaults', startProxy: (origin) => startExpressProxy(origin) },
    { name: 'Express, `{ ttl: 600 }`', startProxy: (origin) => startExpressProxy(origin, { ttl: 600 }) },
  ],
});
writeFileSync(fileURLToPath(new URL('../../../bench/results/cache-tests-express.json', import.meta.url)), `${JSON.stringify(result.json, null, 2)}\n`);
console.log(result.table);
