import { defineConfig } from 'vitest/config';
import { waiTestConfig } from '@wai/test-services/vitest';

// Fault, fuzz and cardinality scenarios: minutes, not seconds, so they stay out of `pnpm test`.
export default defineConfig(
  waiTestConfig({ test: { include: ['test/reliability/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000, hookTimeout: 60_000 } }),
);
