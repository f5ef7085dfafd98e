// Plain JavaScript on purpose: vitest loads config files through Node, which cannot import a workspace
// package's TypeScript.
import { fileURLToPath } from 'node:url';

/**
 * The shared vitest settings: the services global setup, and the `@wai/source` export condition so a
 * package's tests run against its dependencies' TypeScript sources (no rebuild between edits).
 * @param {{ test?: Record<string, unknown> }} [overrides]
 */
export function waiTestConfig(overrides = {}) {
  return {
    resolve: { conditions: ['@wai/source', 'module', 'node'] },
    ssr: { resolve: { conditions: ['@wai/source', 'module', 'node'] } },
    test: {
      globalSetup: [fileURLToPath(new URL('./global-setup.ts', import.meta.url))],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      ...overrides.test,
    },
  };
}
