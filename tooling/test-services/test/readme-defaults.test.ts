import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReadmeDefaults, describedOnly, named, perPart, qualified, readOptionRows, readSignatureRows } from '../src/readme-defaults.js';

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

const SECTIONS = `# x

### \`cache(options?)\`
| option | default | |
| --- | --- | --- |
| \`store\` | memory | |
| \`maxBodyBytes\` | \`1048576\` | |

### \`limiter(options?)\`
| option | default | |
| --- | --- | --- |
| \`store\` | none | |
| \`max\` | \`100\` | |
| \`concurrency\` | off | \`n\` or \`{ max, retryAfterSeconds = 1 }\` |
`;

const SIGNATURES = `# y

\`\`\`js
createTrigger({ ignored = 5 }); // an example, not documentation
\`\`\`

- \`createTrigger({ monitor, slowRequestMs = 1000, eventLoopDelayMs = 200, minIntervalMs = 600_000,
  durationMs = 2000, minBusyShare = 0.5, onProfile })\` → \`observe(route, method, ms)\`.
- \`enableProfiling: true | { slowRequestMs = 1000, name = 'wai', statuses = [200, 204] }\` (\`{ a, b }\`: no defaults, not read).
`;

describe('README option/default check: sections and signatures', () => {
  it('looks a row up under its heading first, so two tables may give one option different defaults', () => {
    const file = readme(SECTIONS);
    const expected = { 'cache.store': describedOnly('memory'), maxBodyBytes: 1_048_576, 'limiter.store': undefined, max: 100, concurrency: describedOnly('off') };
    expect(checkReadmeDefaults(file, expected)).toEqual([]);
    expect(checkReadmeDefaults(file, { ...expected, 'limiter.store': 'redis' })).toEqual([expect.stringMatching(/:12 limiter\.store: README says "none"/)]);
    const { 'cache.store': _dropped, ...withoutOne } = expected;
    expect(checkReadmeDefaults(file, withoutOne)).toEqual([expect.stringMatching(/cache\.store: no code default registered .*add cache\.store or store/)]);
  });

  it('reads `name = value` lists in code spans, across lines, with their owner', () => {
    const rows = readSignatureRows(SIGNATURES);
    expect(rows.map((row) => [row.options[0], row.noDefault ? undefined : row.documented])).toEqual([
      ['createTrigger.monitor', undefined],
      ['createTrigger.slowRequestMs', '1000'],
      ['createTrigger.eventLoopDelayMs', '200'],
      ['createTrigger.minIntervalMs', '600_000'],
      ['createTrigger.durationMs', '2000'],
      ['createTrigger.minBusyShare', '0.5'],
      ['createTrigger.onProfile', undefined],
      ['enableProfiling.slowRequestMs', '1000'],
      ['enableProfiling.name', "'wai'"],
      ['enableProfiling.statuses', '[200, 204]'],
    ]);
    expect(rows.find((row) => row.options[0] === 'createTrigger.durationMs')?.line).toBe(8);
    expect(readSignatureRows(SECTIONS)).toEqual([
      { line: 14, section: 'limiter', options: ['concurrency.max'], documented: '', noDefault: true },
      { line: 14, section: 'limiter', options: ['concurrency.retryAfterSeconds'], documented: '1' },
    ]);
  });

  const trigger = { monitor: describedOnly('required'), slowRequestMs: 1000, eventLoopDelayMs: 200, minIntervalMs: 600_000, durationMs: 2000, minBusyShare: 0.5, onProfile: undefined };
  const profiling = { slowRequestMs: 1000, name: 'wai', statuses: [200, 204] };

  it('checks signature defaults only when asked, and then every entry', () => {
    const file = readme(`${SECTIONS}\n${SIGNATURES}`);
    const tables = { 'cache.store': describedOnly('memory'), maxBodyBytes: 1_048_576, 'limiter.store': undefined, max: 100, concurrency: describedOnly('off') };
    expect(checkReadmeDefaults(file, tables)).toEqual([]);
    const all = { ...tables, ...qualified('createTrigger', trigger), ...qualified('enableProfiling', profiling), 'limiter.concurrency.max': undefined, 'concurrency.retryAfterSeconds': 1 };
    expect(checkReadmeDefaults(file, all, { signatures: true })).toEqual([]);
    const drifted = { ...all, 'createTrigger.minBusyShare': 0.25, 'enableProfiling.statuses': [200], 'concurrency.retryAfterSeconds': 2 };
    const problems = checkReadmeDefaults(file, drifted, { signatures: true });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/createTrigger\.minBusyShare: README says "0\.5", code 0\.25/);
    expect(problems.join('\n')).toMatch(/limiter\.concurrency\.retryAfterSeconds: README says "1", code 2/);
  });

  it('reports a signature entry the code lacks, and a registered option no signature names', () => {
    const file = readme(SIGNATURES);
    const all = { ...qualified('createTrigger', trigger), ...qualified('enableProfiling', profiling) };
    const { 'createTrigger.onProfile': _dropped, ...withoutOne } = all;
    expect(checkReadmeDefaults(file, withoutOne, { signatures: true })).toEqual([expect.stringMatching(/:8 createTrigger\.onProfile: no code default registered/)]);
    expect(checkReadmeDefaults(file, { ...all, 'createTrigger.clock': undefined }, { signatures: true })).toEqual([
      expect.stringMatching(/createTrigger\.clock is registered but no README row names it/),
    ]);
  });
});
