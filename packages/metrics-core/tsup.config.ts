import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: "src/index.ts", "config/index": "src/config/index.ts", testing: "src/testing.ts", "http/index": "src/http/index.ts", "http/testing": "src/http/testing.ts", "alerting/index": "src/alerting/index.ts", "otel/index": "src/otel/index.ts", "fleet/index": "src/fleet/index.ts" },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
