// The tsup build every @wai library package shares (`export default libraryBuild(['src/index.ts'])` in its
// tsup.config.ts): ESM + CJS with .d.ts for Node 20. Plain ESM, so tsup's config loader imports it as it is.

/**
 * @param {string[] | Record<string, string>} entry the package's entry points
 * @param {import('tsup').Options} [overrides] package-specific settings (e.g. `noExternal`)
 * @returns {import('tsup').Options}
 */
export function libraryBuild(entry, overrides = {}) {
  return { entry, format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, target: 'node20', ...overrides };
}
