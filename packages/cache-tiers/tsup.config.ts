import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ["src/index.ts","src/testing.ts"],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // quick-lru is ESM-only; bundling it keeps the CJS build loadable (see TOOLCHAIN.md).
  noExternal: ["quick-lru"],
});
