import { defineConfig } from 'tsup';

// An application: ESM only, no declaration files; workspace packages load from their built dist.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
