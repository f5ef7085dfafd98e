import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { END_MARKER, generate, speedup, START_MARKER } from '../../../../scripts/readme-bench.js';

// The root README's benchmark section is generated from bench/results by scripts/readme-bench.ts.
describe('readme-bench script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wai-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a chart per package and the table between the markers, and --check detects drift', () => {
    const results = join(dir, 'results');
    mkdirSync(results);
    writeFileSync(
      join(results, 'cache-tiers.json'),
      JSON.stringify({
        package: '@wai/cache-tiers',
        date: '2026-11-26T04:00:00Z',
        node: 'v20.20.2',
        cpus: 2,
        rows: [
          { name: 'getOrSet L1 hit', unit: 'ns/op', ours: 200, ours_p99: 480, baseline: { name: 'bentocache 1.6.1', value: 6000 }, target: '<= 3x', met: true },
          { name: 'HTTP hits', unit: 'req/s', ours: 9000, baseline: { name: 'fastify-metrics', value: 10000 }, met: false },
        ],
      }),
    );
    writeFileSync(join(results, 'broken.json'), '{ not json');
    const readme = join(dir, 'README.md');
    writeFileSync(readme, `# Title\n\nintro\n\n${START_MARKER}\nold table\n${END_MARKER}\n\nrest stays\n`);

    const first = generate({ resultsDir: results, readmePath: readme, docsDir: join(dir, 'docs') });
    expect(first.changed.map((f) => f.slice(dir.length))).toEqual(['/docs/bench-wai-cache-tiers.svg', '/README.md']);
    expect(first.problems).toHaveLength(1);
    const text = readFileSync(readme, 'utf8');
    expect(text).toContain('intro');
    expect(text).toContain('rest stays');
    expect(text).not.toContain('old table');
    expect(text).toContain('| getOrSet L1 hit | 200 ns/op | 480 | bentocache 1.6.1: 6,000 | 30.0× better | <= 3x | ✅ |');
    expect(text).toContain('| HTTP hits | 9,000 req/s |  | fastify-metrics: 10,000 | 0.90× worse |  | ❌ |');
    expect(text).toContain('![@wai/cache-tiers benchmarks](docs/bench-wai-cache-tiers.svg)');
    const svg = readFileSync(join(dir, 'docs/bench-wai-cache-tiers.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('30.0×');

    expect(generate({ resultsDir: results, readmePath: readme, docsDir: join(dir, 'docs'), check: true }).changed).toEqual([]);
    writeFileSync(readme, text.replace('30.0×', '31×'));
    expect(generate({ resultsDir: results, readmePath: readme, docsDir: join(dir, 'docs'), check: true }).changed).toHaveLength(1);
  });

  it('refuses a README without the markers', () => {
    const readme = join(dir, 'NO-MARKERS.md');
    writeFileSync(readme, '# nothing here\n');
    expect(() => generate({ resultsDir: join(dir, 'none'), readmePath: readme, docsDir: join(dir, 'docs2') })).toThrow(/bench:start/);
  });

  it('compares in the direction of the unit', () => {
    expect(speedup({ name: 'a', unit: 'ms', ours: 2, baseline: { name: 'b', value: 8 } })).toBe(4);
    expect(speedup({ name: 'a', unit: 'ops/s', ours: 2, baseline: { name: 'b', value: 8 } })).toBe(0.25);
    expect(speedup({ name: 'a', unit: 'score', ours: 70, baseline: { name: 'b', value: 35 } })).toBe(2);
    expect(speedup({ name: 'a', unit: '% hits', ours: 40, baseline: { name: 'b', value: 20 } })).toBe(2);
    expect(speedup({ name: 'a', unit: 'ns/point', ours: 10, baseline: { name: 'b', value: 20 } })).toBe(2);
    expect(speedup({ name: 'a', unit: 'widgets', ours: 10, baseline: { name: 'b', value: 20 }, higherIsBetter: true })).toBe(0.5);
    expect(speedup({ name: 'a', unit: 'ms', ours: 2 })).toBeUndefined();
  });
});
