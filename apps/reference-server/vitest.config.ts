import { defineConfig } from 'vitest/config';
import { waiTestConfig } from '@wai/test-services/vitest';

// End-to-end tests against the built server (`pnpm test` builds it first), plus the outage and fuzz scenarios
// (about 50 s together). The 1,000,000-URL cardinality run takes about 10 minutes, so it runs only with
// `pnpm test:reliability` (vitest.reliability.config.ts, which runs every scenario in test/reliability).
export default defineConfig(
  waiTestConfig({
    test: {
      include: ['test/e2e/**/*.test.ts', 'src/**/*.test.ts', 'test/reliability/{redis-outage,sql-outage,fuzz}.test.ts'],
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 60_000,
    },
  }),
);
