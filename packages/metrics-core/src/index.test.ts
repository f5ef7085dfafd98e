import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Every name (values and types) the root entry exports, as the TypeScript checker sees it. */
function rootExports(): string[] {
  const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error(`cannot read the exports of ${entry}`);
  return checker.getExportsOfModule(symbol).map((exported) => exported.name).sort();
}

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const ROOT_IMPORT = /(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]@wai\/metrics-core['"]/g;

/** Source and documentation files of the other packages, the apps, and this package's README and examples. */
function consumerFiles(directory: string, found: string[] = []): string[] {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (path === join(repository, 'packages/metrics-core/src')) continue;
      consumerFiles(path, found);
    } else if (/\.(ts|mts|mjs|js|md)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** Names imported from the root entry anywhere outside metrics-core's own source. */
function namesUsedOutside(): Set<string> {
  const used = new Set<string>();
  for (const directory of ['packages', 'apps', 'tooling', 'docs']) {
    for (const file of consumerFiles(join(repository, directory))) {
      for (const match of readFileSync(file, 'utf8').matchAll(ROOT_IMPORT)) {
        for (const part of match[1]!.split(',')) {
          const name = part.replace(/\/\/.*$/gm, '').trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!.trim();
          if (name) used.add(name);
        }
      }
    }
  }
  return used;
}

describe('the root entry', () => {
  const names = rootExports();

  it('stays a small core: at most 60 names (contracts, errors, clock, logger, the metric engine)', () => {
    expect(names.length).toBeGreaterThan(0);
    expect(names.length, names.join(', ')).toBeLessThanOrEqual(60);
  });

  it('leaves the HTTP kit and the environment configuration to their subpaths', () => {
    for (const moved of ['createHttpCache', 'createRateLimiter', 'normalizeRoute', 'createRequestTracker', 'loadConfigFromEnv', 'configureForEnvironment']) {
      expect(names).not.toContain(moved);
    }
    expect(names).toEqual(expect.arrayContaining(['createPerformanceMonitor', 'WaiError', 'Clock', 'PerformanceMonitor', 'CacheStore', 'Analyzer']));
  });

  it('exports only names another package, an app or a documented example imports', () => {
    const used = namesUsedOutside();
    // Named in the README's option table and in PerformanceMonitor's signature, for users who write rules.
    const documented = new Set(['AlertRule', 'AlertThresholds']);
    expect(names.filter((name) => !used.has(name) && !documented.has(name))).toEqual([]);
  });
});
