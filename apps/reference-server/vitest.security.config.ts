import { defineConfig } from 'vitest/config';
import { waiTestConfig } from '@wai/test-services/vitest';

// `pnpm test:security`: the issue-19 table, plus the bad-input and auth checks, against the built server in
// production mode with and without a token (and in development where a row is about it). About a minute.
export default defineConfig(
  waiTestConfig({ test: { include: ['test/security/**/*.test.ts'], fileParallelism: false, testTimeout: 60_000, hookTimeout: 60_000 } }),
);
