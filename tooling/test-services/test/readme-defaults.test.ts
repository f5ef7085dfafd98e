import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReadmeDefaults, describedOnly, named, perPart, readOptionRows } from '../src/readme-defaults.js';

const directory = mkdtempSync(join(tmpdir(), 'wai-readme-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function readme(markdown: string): string {
  const file = join(directory, `README-${Math.random().toString(36).slice(2)}.md`);
  writeFileSync(file, markdown);
  return file;
}

const TABLE = `# x

| option | default | meaning |
| --- | --- | --- |
| \`interval\` | \`30000\` | ms |
| \`maxMemory\` | \`100mb\` (test: 16mb) | bytes |
| \`enabled\` | \`true\` | |
| \`name\` | \`'wai'\` | |
| \`store\` | — | |
| \`softTimeout\` / \`hardTimeout\` | none | |
| \`max\`, \`windowMs\` | \`100\`, \`60000\` | |
| \`breaker\` | \`{ failureThreshold: 3, resetTimeout: 1000 }\` | |
| \`level\` | \`info\` / \`debug\` | per preset |
| \`serializer\` | \`jsonSerializer\` | |
| \`thresholds\` | guide's | |

| component | weight | default rule |
| --- | --- | --- |
| \`latency\` | 0.35 | ignored: not an option table |
`;

const correct = {
  interval: 30_000,
  maxMemory: 100 * 1024 * 1024,
  enabled: true,
  name: 'wai',
  store: undefined,
  softTimeout: undefined,
  hardTimeout: undefined,
  max: 100,
  windowMs: 60_000,
  breaker: { failureThreshold: 3, resetTimeout: 1000 },
  level: perPart(['info', 'debug']),
  serializer: named('jsonSerializer', true),
  thresholds: describedOnly("the guide's"),
};

describe('README option/default check', () => {
  it('reads only tables with an option and a default column', () => {
    const rows = readOptionRows(TABLE);
    expect(rows.map((row) => row.options)).toContainEqual(['softTimeout', 'hardTimeout']);
    expect(rows.flatMap((row) => row.options)).not.toContain('latency');
  });

  it('passes when every documented default matches the code', () => {
    expect(checkReadmeDefaults(readme(TABLE), correct)).toEqual([]);
  });

  it('reports each default the README gets wrong', () => {
    const problems = checkReadmeDefaults(readme(TABLE), { ...correct, interval: 10_000, maxMemory: 1024, enabled: false, name: 'app', store: 5, windowMs: 1000, breaker: { failureThreshold: 5, resetTimeout: 1000 }, level: perPart(['info', 'warn']), serializer: named('jsonSerializer', false) });
    expect(problems).toHaveLength(9);
    expect(problems.join('\n')).toMatch(/interval: README says "30000", code 10000/);
    expect(problems.join('\n')).toMatch(/level \[1\]: README says "debug", code "warn"/);
  });

  it('reports README options nobody registered, and registered options no row names', () => {
    const { thresholds: _dropped, ...withoutOne } = correct;
    expect(checkReadmeDefaults(readme(TABLE), withoutOne)).toEqual([expect.stringMatching(/thresholds: no code default registered/)]);
    expect(checkReadmeDefaults(readme(TABLE), { ...correct, extra: 1 })).toEqual([expect.stringMatching(/extra is registered but no README row names it/)]);
    expect(checkReadmeDefaults(readme(TABLE), { ...correct, extra: 1 }, { subset: true })).toEqual([]);
  });
});
