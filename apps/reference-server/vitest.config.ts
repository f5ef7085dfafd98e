import { defineConfig } from 'vitest/config';
import { waiTestConfig } from '@wai/test-services/vitest';

// End-to-end tests against the built server (`pnpm test` builds it first). Reliability scenarios live in
// test/reliability and run with `pnpm test:reliability` (vitest.reliability.config.ts).
export default defineConfig(waiTestConfig({ test: { include: ['test/e2e/**/*.test.ts', 'src/**/*.test.ts'], fileParallelism: false } }));
