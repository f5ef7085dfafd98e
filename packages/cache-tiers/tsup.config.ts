import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ["src/index.ts", "src/testing.ts", "src/keyv.ts"],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The SQLite driver loader resolves better-sqlite3 with createRequire(import.meta.url), in the CJS build too.
  shims: true,
});
