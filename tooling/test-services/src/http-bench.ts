/// <reference path="./autocannon.d.ts" />
/**
 * Load-test harness shared by the Express and Fastify benchmarks (`@wai/test-services/http-bench`): each variant runs in its own child process
 * (so the server does not share an event loop with the load generator), autocannon drives it over loopback
 * without pipelining, and variants are alternated round by round so drift hits them alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { build } from 'tsup';

export interface Measurement {
  variant: string;
  requestsPerSecond: number;
  p99Ms: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  cpuMicrosPerRequest: number;
  /** Throughput of each round (medians only), for paired comparisons. */
  roundsRequestsPerSecond?: number[];
  non2xx: number;
  errors: number;
}

export interface BenchRow {
  name: string;
  /** When the run that wrote this row ended (ISO 8601): Express and Fastify rows come from separate runs. */
  measured_at?: string;
  unit: string;
  ours: number;
  ours_p99: number;
  ours_p99_unit: string;
  baseline: { name: string; value: number; p99?: number };
  ratio: number;
  /**
   * Median over rounds of (ours ÷ baseline) within the same round: runs measured back to back share the
   * machine's state, so this paired estimate resists load drift better than the ratio of medians.
   */
  ratio_paired_median: number;
  target: string;
  met: boolean;
  met_paired: boolean;
  /**
   * Server CPU µs per request of ours and the baseline, and baseline/ours: the throughput ratio a CPU-bound
   * server would reach (overhead rows only; a cache row's gain is waiting, not CPU).
   */
  cpu_us_per_request?: { ours: number; baseline: number };
  cpu_ratio?: number;
  met_by_cpu?: boolean;
  rounds: number;
  connections: number;
  durationSeconds: number;
  /** Sleeping-handler rows at several connections: the best ratio the framework's own throughput allows. */
  ceiling_ratio?: number;
  share_of_ceiling?: number;
}

export interface ScenarioOptions {
  /** Server module (TypeScript, compiled once per run, see `compileServer`); prints `PORT <n>` when listening. */
  server: string;
  variants: readonly string[];
  path: string;
  connections: number;
  durationSeconds: number;
  rounds: number;
  warmupSeconds?: number;
  /**
   * Start every variant's server afresh each round (and warm it up again), and rotate which variant goes first.
   * Identical server processes differ by several per cent in throughput here (code placement, which CPU they
   * land on, JIT decisions), which is more than the overhead an overhead row measures; a median over fresh
   * processes is not at the mercy of one lucky or unlucky process.
   */
  freshProcesses?: boolean;
  /**
   * Within a round, measure each variant in this many interleaved slices of `durationSeconds / slices` (a whole
   * number of seconds) instead of one stretch: a, b, c, a, b, c… The machine's speed here swings by tens of per
   * cent within seconds (bare Fastify in one run: 19,488 then 5,180 req/s), so pairs measured a second apart
   * share more of it than pairs measured a whole stretch apart. @default 1
   */
  slices?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const here = dirname(fileURLToPath(import.meta.url));
/** bench/results/middleware.json at the repository root (Express and Fastify rows share it). */
export const RESULTS_FILE = resolve(here, '../../../bench/results/middleware.json');

const compiled = new Map<string, Promise<string>>();

/**
 * Compiles a bench server to one plain ES module (its relative imports, our adapter's source included, bundled
 * in; packages, @wai ones included, imported from their built `dist`), so servers run under plain `node`.
 * Under the tsx loader, the same server measured up to 20 % faster or slower depending only on whether it
 * did a dynamic `import()` at startup (bare Fastify with and without importing a one-line module: 13,392 against
 * 11,102 req/s, fresh processes, 16 rounds): an artifact bigger than the overheads measured here.
 * Run `pnpm build` first (the root `pnpm bench` does).
 */
function compileServer(server: string): Promise<string> {
  let output = compiled.get(server);
  if (output === undefined) {
    const name = basename(server).replace(/\.ts$/, '');
    const outDir = resolve(dirname(server), 'dist');
    output = build({
      entry: { [name]: server },
      outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      splitting: false,
      sourcemap: false,
      dts: false,
      clean: false,
      silent: true,
      config: false,
      skipNodeModulesBundle: true,
      // The server-side helpers are TypeScript in a workspace package: bundled in, not imported at run time.
      noExternal: [/^@wai\/test-services\/bench-server$/],
      outExtension: () => ({ js: '.mjs' }),
    }).then(() => join(outDir, `${name}.mjs`));
    compiled.set(server, output);
  }
  return output;
}

async function startServer(server: string, variant: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [await compileServer(server), variant], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /PORT (\d+)/.exec(output);
      if (match) resolvePort(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server ${variant} exited early (${String(code)})`)));
  });
  return { child, port };
}

function cpuTime(child: ChildProcess): Promise<number> {
  return new Promise((resolveCpu) => {
    child.once('message', (message) => {
      const { cpu } = message as { cpu: NodeJS.CpuUsage };
      resolveCpu(cpu.user + cpu.system);
    });
    child.send('cpu');
  });
}

function load(url: string, connections: number, duration: number): Promise<autocannon.Result> {
  return new Promise((resolveResult, reject) => {
    autocannon({ url, connections, duration, pipelining: 1 }, (error, result) => (error ? reject(error) : resolveResult(result)));
  });
}

/**
 * Starts every variant's server once (idle servers cost nothing), warms each up, then measures the variants in
 * turn for `rounds` rounds and returns the per-variant medians. Short alternating runs keep a busy or drifting
 * machine from favouring whichever variant happened to run during a quiet spell.
 */
export async function runScenario(options: ScenarioOptions): Promise<Map<string, Measurement>> {
  const samples = new Map<string, Measurement[]>(options.variants.map((variant) => [variant, []]));
  const startAll = () => Promise.all(options.variants.map((variant) => startServer(options.server, variant)));
  const stopAll = (servers: Array<{ child: ChildProcess }>) =>
    Promise.all(
      servers.map(({ child }) => {
        if (child.exitCode !== null) return undefined;
        const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
        child.kill('SIGTERM');
        return exited;
      }),
    );
  const urlOf = (servers: Array<{ port: number }>, index: number) => `http://127.0.0.1:${(servers[index] as { port: number }).port}${options.path}`;
  const warm = async (servers: Array<{ port: number }>) => {
    for (const index of options.variants.keys()) await load(urlOf(servers, index), options.connections, options.warmupSeconds ?? 2);
  };
  let servers = await startAll();
  try {
    await warm(servers);
    for (let round = 0; round < options.rounds; round++) {
      if (options.freshProcesses && round > 0) {
        await stopAll(servers);
        servers = await startAll();
        await warm(servers);
      }
      const order = [...options.variants.keys()];
      if (options.freshProcesses) order.push(...order.splice(0, round % order.length));
      const slices = options.slices ?? 1;
      const sliceSeconds = options.durationSeconds / slices;
      if (!Number.isInteger(sliceSeconds)) throw new Error(`durationSeconds ${options.durationSeconds} does not split into ${slices} whole-second slices`);
      const totals = options.variants.map(() => ({ requests: 0, seconds: 0, cpu: 0, p99s: [] as number[] }));
      for (let slice = 0; slice < slices; slice++) {
        for (const index of order) {
          const variant = options.variants[index] as string;
          const child = (servers[index] as { child: ChildProcess }).child;
          const cpuBefore = await cpuTime(child);
          const result = await load(urlOf(servers, index), options.connections, sliceSeconds);
          const cpuAfter = await cpuTime(child);
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          const total = totals[index] as (typeof totals)[number];
          total.requests += result.requests.total;
          total.seconds += result.duration;
          total.cpu += cpuAfter - cpuBefore;
          total.p99s.push(result.latency.p99);
        }
      }
      for (const index of order) {
        const variant = options.variants[index] as string;
        const total = totals[index] as (typeof totals)[number];
        const measurement: Measurement = {
          variant,
          requestsPerSecond: total.requests / total.seconds,
          p99Ms: median(total.p99s),
          cpuMicrosPerRequest: total.cpu / Math.max(1, total.requests),
          non2xx: 0,
          errors: 0,
        };
        samples.get(variant)?.push(measurement);
        console.log(`round ${round + 1} ${variant.padEnd(22)} ${measurement.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${measurement.p99Ms} ms  ${measurement.cpuMicrosPerRequest.toFixed(1)} µs CPU/req`);
      }
    }
  } finally {
    await stopAll(servers);
  }
  const medians = new Map<string, Measurement>();
  for (const [variant, list] of samples) {
    medians.set(variant, {
      variant,
      requestsPerSecond: Math.round(median(list.map((entry) => entry.requestsPerSecond))),
      p99Ms: median(list.map((entry) => entry.p99Ms)),
      cpuMicrosPerRequest: Math.round(median(list.map((entry) => entry.cpuMicrosPerRequest)) * 10) / 10,
      roundsRequestsPerSecond: list.map((entry) => Math.round(entry.requestsPerSecond)),
      non2xx: 0,
      errors: 0,
    });
  }
  return medians;
}

/** A throughput row: ours vs a baseline measured in the same run, with a ratio target. */
export function throughputRow(
  name: string,
  ours: Measurement,
  baseline: Measurement,
  baselineName: string,
  minimumRatio: number,
  scenario: Pick<ScenarioOptions, 'rounds' | 'connections' | 'durationSeconds'>,
  withCpu = true,
): BenchRow {
  const ratio = Math.round((ours.requestsPerSecond / baseline.requestsPerSecond) * 1000) / 1000;
  const cpuRatio = Math.round((baseline.cpuMicrosPerRequest / ours.cpuMicrosPerRequest) * 1000) / 1000;
  const oursRounds = ours.roundsRequestsPerSecond ?? [ours.requestsPerSecond];
  const baselineRounds = baseline.roundsRequestsPerSecond ?? [baseline.requestsPerSecond];
  const pairedRatios = oursRounds.map((value, round) => value / (baselineRounds[round] ?? baseline.requestsPerSecond));
  const pairedMedian = Math.round(median(pairedRatios) * 1000) / 1000;
  const row: BenchRow = {
    name,
    unit: 'req/s',
    ours: ours.requestsPerSecond,
    ours_p99: ours.p99Ms,
    ours_p99_unit: 'ms latency',
    baseline: { name: baselineName, value: baseline.requestsPerSecond, p99: baseline.p99Ms },
    ratio,
    target: `>= ${minimumRatio}x ${baselineName}`,
    ratio_paired_median: pairedMedian,
    met: ratio >= minimumRatio,
    met_paired: pairedMedian >= minimumRatio,
    rounds: scenario.rounds,
    connections: scenario.connections,
    durationSeconds: scenario.durationSeconds,
  };
  if (withCpu) {
    row.cpu_us_per_request = { ours: ours.cpuMicrosPerRequest, baseline: baseline.cpuMicrosPerRequest };
    row.cpu_ratio = cpuRatio;
    row.met_by_cpu = cpuRatio >= minimumRatio;
  }
  return row;
}

/**
 * A handler that waits 5 ms without using the CPU serves at most 200 req/s per connection uncached, so at 10
 * connections a 10x ratio needs 20,000 cached req/s: more than the bare framework answers for a trivial route on
 * this machine. `ceiling_ratio` (bare hello-world throughput / uncached) is about the best ratio a cache can show
 * (a cached answer costs about what a trivial route does).
 */
function withCeiling(row: BenchRow, bare: Measurement): BenchRow {
  const ceiling = Math.round((bare.requestsPerSecond / row.baseline.value) * 1000) / 1000;
  return {
    ...row,
    target: `${row.target} (capped near ${ceiling}x here: the bare framework serves ${bare.requestsPerSecond} req/s on a trivial route)`,
    ceiling_ratio: ceiling,
    share_of_ceiling: Math.round((row.ratio / ceiling) * 1000) / 1000,
  };
}

/**
 * Merges `rows` into bench/results/middleware.json, replacing rows of the same name and every row whose name
 * starts with `replacePrefix` (a framework's rows from an earlier run; Express and Fastify share the file).
 */
export function writeRows(rows: readonly BenchRow[], replacePrefix?: string): void {
  let existing: { rows?: BenchRow[] } = {};
  try {
    existing = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as { rows?: BenchRow[] };
  } catch {
    existing = {};
  }
  const names = new Set(rows.map((row) => row.name));
  const kept = (existing.rows ?? []).filter((row) => !names.has(row.name) && !(replacePrefix !== undefined && row.name.startsWith(replacePrefix)));
  const date = new Date().toISOString();
  const merged = [...kept, ...rows.map((row) => ({ ...row, measured_at: date }))];
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const document = {
    package: '@wai/middleware-express + @wai/middleware-fastify',
    date,
    node: process.version,
    cpus: cpus().length,
    method:
      'autocannon over loopback, no pipelining, each variant in its own child process, variants alternated per round, medians of rounds; ' +
      'overhead rows (-c 100) start fresh server processes every round, rotate the order and interleave the variants in 1 s slices within a round; ' +
      'cpu_us_per_request is the server process CPU time per request (process.cpuUsage over IPC) and cpu_ratio = baseline/ours',
    rows: merged,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${RESULTS_FILE}`);
}

export interface MiddlewareBenchOptions {
  /** e.g. 'Express 5'. */
  framework: string;
  bareName: string;
  /** Variant name and description of the timing competitor (e.g. `prom`, 'Express + express-prom-bundle 8.0.0'). */
  competitor: { variant: string; name: string };
  /** Variant name and description of the response-cache competitor (its cached HIT of `/doc`). */
  peerCache: { variant: string; name: string };
  /** How the @wai variant and the cache are wired, for row names. */
  waiLabel: string;
  cacheLabel: string;
  /**
   * Another way of wiring @wai timing, measured in the same rounds and reported against bare. With `baseline`
   * (a variant of the bare app plus what that wiring needs anyway, e.g. one empty `app.use` layer, `baselineName`
   * describing it) it is also reported against that, which is the timing's own overhead, and the baseline against bare.
   */
  alternative?: { variant: string; label: string; baseline?: { variant: string; name: string } };
}

/** Rounds of a scenario, scaled by `WAI_BENCH_ROUNDS_SCALE` (e.g. 0.5 for a quicker, noisier run). */
function rounds(base: number): number {
  const scale = Number(process.env.WAI_BENCH_ROUNDS_SCALE ?? '1');
  return Math.max(2, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/**
 * The middleware benchmark both adapters run, against `servers.ts` beside `benchUrl` (the caller's
 * `import.meta.url`), whose variants are `bare`, `wai`, the competitors', `hit-bare`, `hit-wai`,
 * `slow-uncached`, `slow-cached`, `busy-uncached` and `busy-cached`:
 * - per-request overhead: bare vs @wai timing vs the timing competitor (-c 100);
 * - a cached HIT of a 1 KB JSON document (`/doc`, -c 10) vs the same constant route bare, and vs the peer cache;
 * - a 5 ms route cached vs uncached at -c 1 (latency-bound) and -c 10, and a 5 ms CPU-bound route at -c 10.
 * Rounds are short (2–3 s) and many, so load from other processes on the machine spreads over all variants; the
 * overhead and HIT rows take fresh server processes each round (see `freshProcesses`) and interleave the
 * variants in 1 s slices within it (see `slices`).
 * Merges its rows into bench/results/middleware.json.
 */
export async function runMiddlewareBench(benchUrl: string, options: MiddlewareBenchOptions): Promise<void> {
  const server = fileURLToPath(new URL('./servers.ts', benchUrl));
  const alternative = options.alternative;
  const overhead = {
    server,
    variants: ['bare', 'wai', ...(alternative ? [alternative.variant] : []), ...(alternative?.baseline ? [alternative.baseline.variant] : []), options.competitor.variant],
    path: '/hello/1',
    connections: 100,
    durationSeconds: 3,
    slices: 3,
    rounds: rounds(20),
    warmupSeconds: 1.5,
    freshProcesses: true,
  };
  const timing = await runScenario(overhead);
  const hit = { server, variants: ['hit-bare', 'hit-wai', options.peerCache.variant], path: '/doc', connections: 10, durationSeconds: 3, slices: 3, rounds: rounds(10), warmupSeconds: 1.5, freshProcesses: true };
  const hits = await runScenario(hit);
  const slowVariants = ['slow-uncached', 'slow-cached'];
  const single = { server, variants: slowVariants, path: '/slow', connections: 1, durationSeconds: 2, rounds: rounds(4) };
  const cachedSingle = await runScenario(single);
  const ten = { ...single, connections: 10 };
  const cachedTen = await runScenario(ten);
  const busy = { ...ten, variants: ['busy-uncached', 'busy-cached'], path: '/busy' };
  const cachedBusy = await runScenario(busy);
  const get = (results: Map<string, Measurement>, variant: string): Measurement => {
    const measurement = results.get(variant);
    if (!measurement) throw new Error(`no result for ${variant}`);
    return measurement;
  };
  const { framework, bareName, competitor, peerCache, waiLabel, cacheLabel } = options;
  const hitName = `${framework}, 1 KB JSON, 10 connections`;
  writeRows([
    throughputRow(`${framework} + ${waiLabel} vs bare`, get(timing, 'wai'), get(timing, 'bare'), bareName, 0.95, overhead),
    throughputRow(`${framework} + ${waiLabel} vs ${competitor.name}`, get(timing, 'wai'), get(timing, competitor.variant), competitor.name, 1, overhead),
    ...(alternative ? [throughputRow(`${framework} + ${alternative.label} vs bare`, get(timing, alternative.variant), get(timing, 'bare'), bareName, 0.95, overhead)] : []),
    ...(alternative?.baseline
      ? [
          throughputRow(`${framework} + ${alternative.label} vs ${alternative.baseline.name}`, get(timing, alternative.variant), get(timing, alternative.baseline.variant), alternative.baseline.name, 0.95, overhead),
          throughputRow(`${framework}: ${alternative.baseline.name} vs bare (what the wiring itself costs, for reference)`, get(timing, alternative.baseline.variant), get(timing, 'bare'), bareName, 0.95, overhead),
        ]
      : []),
    throughputRow(`${framework} + ${competitor.name} vs bare (competitor, for reference)`, get(timing, competitor.variant), get(timing, 'bare'), bareName, 0.95, overhead),
    throughputRow(`${hitName}: ${cacheLabel} HIT vs the constant route bare`, get(hits, 'hit-wai'), get(hits, 'hit-bare'), `${bareName}, constant route`, 0.9, hit),
    throughputRow(`${hitName}: ${cacheLabel} HIT vs ${peerCache.name} HIT`, get(hits, 'hit-wai'), get(hits, peerCache.variant), `${peerCache.name} HIT`, 1, hit),
    throughputRow(`${hitName}: ${peerCache.name} HIT vs the constant route bare (competitor, for reference)`, get(hits, peerCache.variant), get(hits, 'hit-bare'), `${bareName}, constant route`, 0.9, hit),
    throughputRow(`${framework}, 5 ms handler, 1 connection: ${cacheLabel} HIT vs uncached`, get(cachedSingle, 'slow-cached'), get(cachedSingle, 'slow-uncached'), 'same route uncached', 10, single, false),
    withCeiling(
      throughputRow(`${framework}, 5 ms handler, 10 connections: ${cacheLabel} HIT vs uncached`, get(cachedTen, 'slow-cached'), get(cachedTen, 'slow-uncached'), 'same route uncached', 10, ten, false),
      get(timing, 'bare'),
    ),
    throughputRow(`${framework}, 5 ms CPU-bound handler, 10 connections: ${cacheLabel} HIT vs uncached`, get(cachedBusy, 'busy-cached'), get(cachedBusy, 'busy-uncached'), 'same route uncached', 10, busy, false),
  ], `${framework}`);
}
