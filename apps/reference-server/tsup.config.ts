import { defineConfig } from 'tsup';

// An application, not a library: ESM only, no declaration files. Workspace packages stay external and are
// loaded from their built dist at run time.
export default defineConfig({
  entry: ['src/main.ts', 'src/demo-load.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
