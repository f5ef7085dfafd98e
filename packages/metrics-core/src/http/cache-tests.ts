import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs the HTTP Working Group's cache-tests (npm `http-cache-tests`, the suite that grades browsers, CDNs and
 * reverse proxies against RFC 9111) against a reverse proxy in front of the suite's own origin on loopback, and
 * grades the result the way the suite's report does.
 */
export interface CacheTestsOptions {
  /** The installed `http-cache-tests` package directory (holds `server/server.mjs`, `cli.mjs`, `results/`). */
  suiteDir: string;
  /** Starts the proxy under test in front of `originUrl`; returns its base URL and a close function. */
  startProxy(originUrl: string): Promise<{ url: string; close(): Promise<void> }>;
  /** Upper bound for the whole run. @default 600000 */
  timeoutMs?: number;
}

export type CacheTestOutcome = 'pass' | 'fail' | 'optional_fail' | 'yes' | 'no' | 'setup_fail' | 'dependency_fail' | 'retry' | 'untested';

export interface CacheTestsGroup {
  id: string;
  name: string;
  pass: number;
  /** Required tests that failed. */
  requiredFail: number;
  /** Required tests failed by serving a stored response that must not be served. */
  servedWrongly: number;
  optionalFail: number;
  other: number;
}

export interface CacheTestsSummary {
  pass: number;
  requiredFail: number;
  servedWrongly: number;
  optionalFail: number;
  other: number;
  groups: CacheTestsGroup[];
  /** Ids of the required tests that served a response that must not be served. */
  servedWronglyIds: string[];
}

export interface CacheTestsReport {
  suiteVersion: string;
  /** Raw per-test results, as the suite's CLI prints them (the format of its `results/*.json`). */
  results: Record<string, unknown>;
  summary: CacheTestsSummary;
}

interface SuiteTest {
  id: string;
  kind?: 'required' | 'optimal' | 'check';
  depends_on?: string[];
}

interface Suite {
  id: string;
  name: string;
  tests: SuiteTest[];
}

async function loadSuites(suiteDir: string): Promise<Suite[]> {
  const index = (await import(pathToFileURL(join(suiteDir, 'tests', 'index.mjs')).href)) as { default: Suite[] };
  const surrogate = (await import(pathToFileURL(join(suiteDir, 'tests', 'surrogate-control.mjs')).href)) as { default: Suite };
  return [...index.default, surrogate.default];
}

/** The suite's own grading (lib/display.mjs `determineTestResult`, with dependencies honoured). */
function outcomeOf(tests: Map<string, SuiteTest>, results: Record<string, unknown>, id: string): CacheTestOutcome {
  const test = tests.get(id);
  const result = results[id];
  if (test === undefined || result === undefined) return 'untested';
  for (const dependency of test.depends_on ?? []) {
    const outcome = outcomeOf(tests, results, dependency);
    if (outcome !== 'pass' && outcome !== 'yes') return 'dependency_fail';
  }
  if (Array.isArray(result) && result[0] === 'Setup') return result[1] === 'retry' ? 'retry' : 'setup_fail';
  const passed = result === true;
  if (test.kind === 'optimal') return passed ? 'pass' : 'optional_fail';
  if (test.kind === 'check') return passed ? 'yes' : 'no';
  return passed ? 'pass' : 'fail';
}

/** Grades one result set (ours or a published one) over the suite's tests. */
export function summarizeCacheTests(suites: readonly Suite[], results: Record<string, unknown>): CacheTestsSummary {
  const tests = new Map<string, SuiteTest>();
  for (const suite of suites) for (const test of suite.tests) tests.set(test.id, test);
  const summary: CacheTestsSummary = { pass: 0, requiredFail: 0, servedWrongly: 0, optionalFail: 0, other: 0, groups: [], servedWronglyIds: [] };
  for (const suite of suites) {
    const group: CacheTestsGroup = { id: suite.id, name: suite.name, pass: 0, requiredFail: 0, servedWrongly: 0, optionalFail: 0, other: 0 };
    for (const test of suite.tests) {
      const outcome = outcomeOf(tests, results, test.id);
      const result = results[test.id];
      if (outcome === 'pass') group.pass++;
      else if (outcome === 'fail') {
        group.requiredFail++;
        // The suite's assertion when a response came from the cache where it must not (client/test.mjs).
        if (Array.isArray(result) && typeof result[1] === 'string' && /comes from cache/.test(result[1])) {
          group.servedWrongly++;
          summary.servedWronglyIds.push(test.id);
        }
      } else if (outcome === 'optional_fail') group.optionalFail++;
      else group.other++;
    }
    summary.groups.push(group);
    summary.pass += group.pass;
    summary.requiredFail += group.requiredFail;
    summary.servedWrongly += group.servedWrongly;
    summary.optionalFail += group.optionalFail;
    summary.other += group.other;
  }
  return summary;
}

/** The published results in the suite package (`results/<name>.json`), graded the same way. */
export async function publishedCacheTests(suiteDir: string, names: readonly string[]): Promise<Record<string, CacheTestsSummary>> {
  const suites = await loadSuites(suiteDir);
  const available = new Set(readdirSync(join(suiteDir, 'results')));
  const published: Record<string, CacheTestsSummary> = {};
  for (const name of names) {
    if (!available.has(`${name}.json`)) continue;
    published[name] = summarizeCacheTests(suites, JSON.parse(readFileSync(join(suiteDir, 'results', `${name}.json`), 'utf8')) as Record<string, unknown>);
  }
  return published;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ping(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(url, { agent: false }, (incoming) => {
      incoming.resume();
      resolve(true);
    });
    outgoing.on('error', () => resolve(false));
    outgoing.end();
  });
}

// The origin binds every interface when started as published; this loader keeps it on loopback.
const LOOPBACK_ORIGIN = `
const http = require('node:http');
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port) { return listen.call(this, port, '127.0.0.1'); };
import(require('node:url').pathToFileURL(process.argv[1]).href);
`;

/** Starts the suite's origin, the proxy in front of it, runs the client, and grades the results. */
export async function runCacheTests(options: CacheTestsOptions): Promise<CacheTestsReport> {
  const { suiteDir } = options;
  const suiteVersion = (JSON.parse(readFileSync(join(suiteDir, 'package.json'), 'utf8')) as { version: string }).version;
  const port = await freePort();
  const env = { ...process.env, npm_config_port: String(port), npm_config_protocol: 'http', npm_config_pidfile: join(tmpdir(), `wai-cache-tests-${process.pid}-${port}.pid`) };
  const origin = spawn(process.execPath, ['-e', LOOPBACK_ORIGIN, join(suiteDir, 'server', 'server.mjs')], { env, stdio: 'ignore' });
  const originUrl = `http://127.0.0.1:${port}`;
  let proxy: { url: string; close(): Promise<void> } | undefined;
  try {
    const deadline = Date.now() + 10_000;
    while (!(await ping(originUrl))) {
      if (Date.now() > deadline) throw new Error('[wai:metrics-core] the cache-tests origin did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proxy = await options.startProxy(originUrl);
    const output = await runClient(suiteDir, proxy.url, options.timeoutMs ?? 600_000);
    const results = JSON.parse(output) as Record<string, unknown>;
    return { suiteVersion, results, summary: summarizeCacheTests(await loadSuites(suiteDir), results) };
  } finally {
    await proxy?.close();
    origin.kill();
  }
}

function runClient(suiteDir: string, base: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // npm_config_id / npm_package_config_id empty: run every test (the CLI reads them as npm would set them).
    const env = { ...process.env, npm_config_base: base, npm_config_id: '', npm_package_config_id: '' };
    const client = spawn(process.execPath, ['--no-warnings', join(suiteDir, 'cli.mjs')], { cwd: suiteDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    client.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    client.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => client.kill(), timeoutMs);
    timer.unref();
    client.on('error', reject);
    client.on('close', (code) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString();
      const start = text.indexOf('{');
      if (code !== 0 || start === -1) reject(new Error(`[wai:metrics-core] cache-tests client exited ${String(code)}: ${Buffer.concat(err).toString().slice(0, 2000)}`));
      else resolve(text.slice(start));
    });
  });
}


/**
 * A Markdown table, one row per test group and a total, one column per result set: `pass / required fail`
 * (`, N served wrongly` when a required test served a response that must not be served).
 */
export function renderCacheTestsTable(columns: ReadonlyArray<{ name: string; summary: CacheTestsSummary }>): string {
  const cell = (group: Pick<CacheTestsGroup, 'pass' | 'requiredFail' | 'servedWrongly'>) =>
    `${group.pass} / ${group.requiredFail}${group.servedWrongly > 0 ? ` (${group.servedWrongly} served wrongly)` : ''}`;
  const lines = [`| group | ${columns.map((column) => column.name).join(' | ')} |`, `| --- |${columns.map(() => ' ---: |').join('')}`];
  const first = columns[0]?.summary.groups ?? [];
  for (const [index, group] of first.entries()) {
    lines.push(`| ${group.name} | ${columns.map((column) => (column.summary.groups[index] ? cell(column.summary.groups[index]) : '–')).join(' | ')} |`);
  }
  lines.push(`| **total** | ${columns.map((column) => `**${cell(column.summary)}**`).join(' | ')} |`);
  return lines.join('\n');
}

export interface CacheTestsBenchmarkOptions {
  suiteDir: string;
  /** The package graded, e.g. `@wai/middleware-express`. */
  packageName: string;
  /** One run per configuration of the proxy (e.g. the defaults and the README's example). */
  configurations: ReadonlyArray<{ name: string; startProxy: CacheTestsOptions['startProxy'] }>;
  /** Published result files to set beside ours. @default ['apache', 'nginx', 'squid', 'varnish'] */
  published?: readonly string[];
}

export interface CacheTestsBenchmark {
  /** What `bench/results/cache-tests-<adapter>.json` holds. */
  json: {
    package: string;
    date: string;
    node: string;
    suite: string;
    configurations: Array<{ name: string; summary: CacheTestsSummary }>;
    published: Record<string, CacheTestsSummary>;
  };
  /** The per-group Markdown table for the README. */
  table: string;
}

/** Runs the suite once per configuration and grades the published caches of the same suite version beside them. */
export async function benchmarkCacheTests(options: CacheTestsBenchmarkOptions): Promise<CacheTestsBenchmark> {
  const configurations: Array<{ name: string; summary: CacheTestsSummary }> = [];
  let suiteVersion = '';
  for (const configuration of options.configurations) {
    const report = await runCacheTests({ suiteDir: options.suiteDir, startProxy: configuration.startProxy });
    suiteVersion = report.suiteVersion;
    configurations.push({ name: configuration.name, summary: report.summary });
  }
  const published = await publishedCacheTests(options.suiteDir, options.published ?? ['apache', 'nginx', 'squid', 'varnish']);
  const columns = [...configurations, ...Object.entries(published).map(([name, summary]) => ({ name, summary }))];
  return {
    json: { package: options.packageName, date: new Date().toISOString(), node: process.version, suite: `http-cache-tests ${suiteVersion}`, configurations, published },
    table: renderCacheTestsTable(columns),
  };
}

/**
 * The acceptance check an adapter's test runs: no required test served a response that must not be served and,
 * unless `minimumPassFrom` is null, at least as many passes as that published cache (Apache httpd by default).
 * Returns the problems, empty when it holds.
 */
export async function checkCacheTests(options: CacheTestsOptions & { minimumPassFrom?: string | null }): Promise<string[]> {
  const report = await runCacheTests(options);
  const problems = report.summary.servedWronglyIds.map((id) => `served a response that must not be served: ${id}`);
  const baseline = options.minimumPassFrom === undefined ? 'apache' : options.minimumPassFrom;
  if (baseline !== null) {
    const published = (await publishedCacheTests(options.suiteDir, [baseline]))[baseline];
    if (published === undefined) problems.push(`no published result named ${baseline}`);
    else if (report.summary.pass < published.pass) problems.push(`${report.summary.pass} tests pass, fewer than ${baseline}'s ${published.pass}`);
  }
  return problems;
}
