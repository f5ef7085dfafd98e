/**
 * `pnpm --filter @wai/cache-tiers bench` → bench/results/cache-tiers.json at the repository root (STYLE.md format).
 * Every row compares with its baseline and competitors (bentocache, cache-manager, cacheable) in the same run,
 * configured alike: in-memory L1 in front of Redis on loopback (REDIS_URL or redis://127.0.0.1:6379), keys under
 * one run-unique prefix that is deleted at the end. Data (keys, traces, values) is generated before timing.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import QuickLRU from 'quick-lru';
import { Bench } from 'tinybench';
import { round, writeBenchResult, type BenchRow as Row } from '@wai/test-services/bench';
import { startTcpProxy } from '@wai/test-services';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createCache } from '../src/cache.js';
import { createMemoryTier } from '../src/l1/index.js';
import { availableSqliteDrivers, createSqliteTier, type SqliteDriverName } from '../src/l3/index.js';
import { predictivePreloading } from '../src/predictive/predictive-preloading.js';
import { createContestant, VERSIONS, type Contestant, type ContestantName } from './contestants.js';
import type { FootprintResult } from './footprint-worker.js';
import { hitRatio, mulberry32, slidingWindowTrace, stackDistanceTrace, withScan, zipfTrace } from './traces.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = randomBytes(4).toString('hex');
const PREFIX = `waibench_${RUN}`;
const COMPETITORS: ContestantName[] = ['bentocache', 'cache-manager', 'cacheable'];
const quick = process.argv.includes('--quick');
/** `--rows=1,2` (or BENCH_ROWS=1,2) runs only those rows, for iterating; a partial run does not write the JSON. */
const rowsArgument = process.argv.find((argument) => argument.startsWith('--rows='))?.slice('--rows='.length) ?? process.env.BENCH_ROWS;
const selectedRows = rowsArgument ? new Set(rowsArgument.split(',').map((row) => Number(row.trim()))) : undefined;
const runs = (row: number) => selectedRows === undefined || selectedRows.has(row);


const here = dirname(fileURLToPath(import.meta.url));
const rows: Row[] = [];
const log = (message: string) => console.log(`[bench] ${message}`);

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? 0;
}

// ── row 1: getOrSet on an L1 hit, ns/op ───────────────────────────────────────────────────────────────────
async function rowL1Hit(): Promise<void> {
  const BATCH = 256;
  const keys = Array.from({ length: 64 }, (_, index) => `hot:${index}`);
  const loader = async () => ({ id: 1, name: 'x' });
  const contestants: Contestant[] = [createContestant('ours', { redisUrl: REDIS_URL, prefix: PREFIX, withL1: true })];
  for (const name of COMPETITORS) contestants.push(createContestant(name, { redisUrl: REDIS_URL, prefix: PREFIX, withL1: true }));
  for (const contestant of contestants) for (const key of keys) await contestant.getOrSet(key, loader);
  const lru = new LRUCache<string, object>({ max: 10_000 });
  const quickLru = new QuickLRU<string, object>({ maxSize: 10_000 });
  const tier = createMemoryTier({ maxSize: 10_000, purgeIntervalMs: 0 });
  for (const key of keys) {
    lru.set(key, { id: 1 });
    quickLru.set(key, { id: 1 });
    tier.setSync(key, { value: { id: 1 }, createdAt: Date.now(), expiresAt: Infinity, staleUntil: Infinity, tags: [] });
  }
  let index = 0;
  const next = () => keys[index++ & 63] as string;
  const tasks = new Map<string, () => unknown>([
    ['lru-cache get (awaited)', async () => {
      for (let count = 0; count < BATCH; count++) await lru.get(next());
    }],
    ['quick-lru get (sync)', () => {
      for (let count = 0; count < BATCH; count++) quickLru.get(next());
    }],
    ['ours L1 tier getSync', () => {
      for (let count = 0; count < BATCH; count++) tier.getSync(next());
    }],
  ]);
  for (const contestant of contestants) {
    tasks.set(contestant.name, async () => {
      for (let count = 0; count < BATCH; count++) await contestant.getOrSet(next(), loader);
    });
  }
  // Several rounds, ours and the baseline run back to back in alternating order, medians over rounds: one
  // busy moment of the shared machine then moves one round's figure, not the row.
  const rounds = quick ? 1 : 3;
  const figures = new Map<string, { median: number[]; p99: number[] }>();
  for (let pass = 0; pass < rounds; pass++) {
    const bench = new Bench({ time: quick ? 300 : 1000, warmupTime: 300 });
    const pair = pass % 2 === 0 ? ['lru-cache get (awaited)', 'ours'] : ['ours', 'lru-cache get (awaited)'];
    for (const name of [...pair, ...[...tasks.keys()].filter((name) => !pair.includes(name))]) bench.add(name, tasks.get(name)!);
    await bench.run();
    for (const task of bench.tasks) {
      const latency = (task.result as { latency?: { p50?: number; p99?: number } } | undefined)?.latency;
      const figure = figures.get(task.name) ?? { median: [], p99: [] };
      figure.median.push(((latency?.p50 ?? Number.NaN) * 1e6) / BATCH);
      figure.p99.push(((latency?.p99 ?? Number.NaN) * 1e6) / BATCH);
      figures.set(task.name, figure);
    }
  }
  const perOp = (name: string) => {
    const figure = figures.get(name) ?? { median: [Number.NaN], p99: [Number.NaN] };
    return { median: percentile([...figure.median].sort((a, b) => a - b), 0.5), p99: percentile([...figure.p99].sort((a, b) => a - b), 0.5) };
  };
  const baseline = perOp('lru-cache get (awaited)');
  const ours = perOp('ours');
  const competitors = [
    { name: 'quick-lru get (sync, not awaited)', value: round(perOp('quick-lru get (sync)').median, 1) },
    { name: 'ours: L1 tier getSync (no getOrSet)', value: round(perOp('ours L1 tier getSync').median, 1) },
    ...contestants.slice(1).map((contestant) => {
      const result = perOp(contestant.name);
      return { name: `${contestant.name} getOrSet`, value: round(result.median, 1), p99: round(result.p99, 1) };
    }),
  ];
  const ratio = ours.median / baseline.median;
  rows.push({
    name: 'getOrSet L1 hit',
    unit: 'ns/op',
    ours: round(ours.median, 1),
    ours_p99: round(ours.p99, 1),
    baseline: { name: 'awaited lru-cache 11 get', value: round(baseline.median, 1) },
    competitors,
    ratio: round(ratio),
    target: '<= 3x awaited lru-cache get',
    met: ratio <= 3,
    note: `median and p99 of ${BATCH}-call batches (tinybench), per call; median of ${rounds} rounds, ours and the baseline back to back`,
  });
  for (const contestant of contestants) await contestant.close();
  await tier.close();
  log(`row 1: ours ${ours.median.toFixed(0)} ns, lru-cache ${baseline.median.toFixed(0)} ns`);
}

// ── row 2: getOrSet on an L2 hit, 64 concurrent callers, ops/s ───────────────────────────────────────────
async function throughput(call: (key: string) => Promise<unknown>, keys: readonly string[], durationMs: number): Promise<{ opsPerSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let operations = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async (_, worker) => {
      let index = worker;
      while (performance.now() < deadline) {
        const begin = performance.now();
        await call(keys[index % keys.length] as string);
        latencies.push(performance.now() - begin);
        index += 64;
        operations++;
      }
    }),
  );
  return { opsPerSecond: operations / ((performance.now() - started) / 1000), latencies };
}

async function rowL2Hit(): Promise<void> {
  const keys = Array.from({ length: 2000 }, (_, index) => `l2:${index}`);
  const loader = async () => ({ id: 1, title: 'a workshop', seats: 20 });
  const bare = new Redis(REDIS_URL);
  for (const key of keys) await bare.set(`${PREFIX}_bare:${key}`, JSON.stringify({ id: 1, title: 'a workshop', seats: 20 }), 'EX', 3600);
  const contestants: Contestant[] = [createContestant('ours', { redisUrl: REDIS_URL, prefix: PREFIX, withL1: false })];
  for (const name of COMPETITORS) contestants.push(createContestant(name, { redisUrl: REDIS_URL, prefix: `${PREFIX}l2`, withL1: false }));
  for (const contestant of contestants) for (const key of keys) await contestant.getOrSet(key, loader);
  const rounds = quick ? 3 : 5;
  const durationMs = quick ? 400 : 1000;
  const results = new Map<string, { ops: number[]; latencies: number[] }>();
  const record = (name: string, result: { opsPerSecond: number; latencies: number[] }) => {
    const entry = results.get(name) ?? { ops: [], latencies: [] };
    entry.ops.push(result.opsPerSecond);
    for (const latency of result.latencies) entry.latencies.push(latency);
    results.set(name, entry);
  };
  // Interleave rounds so drift on a shared machine hits everyone alike.
  for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
    record('bare', await throughput((key) => bare.get(`${PREFIX}_bare:${key}`).then((text) => (text === null ? undefined : JSON.parse(text))), keys, durationMs));
    for (const contestant of contestants) record(contestant.name, await throughput((key) => contestant.getOrSet(key, loader), keys, durationMs));
  }
  const summary = (name: string) => {
    const entry = results.get(name) ?? { ops: [], latencies: [] };
    const ops = [...entry.ops].sort((a, b) => a - b);
    const latencies = [...entry.latencies].sort((a, b) => a - b);
    return { median: percentile(ops, 0.5), p99: percentile(latencies, 0.99) };
  };
  const baseline = summary('bare');
  const ours = summary('ours');
  const ratio = ours.median / baseline.median;
  rows.push({
    name: 'getOrSet L2 hit, 64 concurrent callers',
    unit: 'ops/s',
    ours: Math.round(ours.median),
    ours_p99: round(ours.p99),
    p99_unit: 'ms per call',
    baseline: { name: 'bare ioredis 6 GET + JSON.parse, 64 callers', value: Math.round(baseline.median) },
    competitors: contestants.slice(1).map((contestant) => {
      const result = summary(contestant.name);
      return { name: `${contestant.name} getOrSet (L2 only)`, value: Math.round(result.median), p99: round(result.p99) };
    }),
    ratio: round(ratio),
    target: '>= 0.8x bare ioredis GET',
    met: ratio >= 0.8,
    note: `L1 off for every cache; median of ${rounds} rounds of ${durationMs} ms; p99 = per-call latency`,
  });
  for (const contestant of contestants) await contestant.close();
  bare.disconnect();
  log(`row 2: ours ${ours.median.toFixed(0)} ops/s, bare ${baseline.median.toFixed(0)} ops/s`);
}

// ── row 3: loader calls for 1,000 concurrent cold requests (1 process, 4 processes) ──────────────────────
async function stampedeInProcess(name: ContestantName): Promise<number> {
  const contestant = createContestant(name, { redisUrl: REDIS_URL, prefix: `${PREFIX}sf`, withL1: true });
  let calls = 0;
  const loader = async () => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { loaded: true };
  };
  await Promise.all(Array.from({ length: 1000 }, () => contestant.getOrSet(`cold:${name}`, loader).catch(() => undefined)));
  await contestant.close();
  return calls;
}

async function stampedeAcrossProcesses(name: ContestantName): Promise<number> {
  const counterKey = `${PREFIX}_counter:${name}`;
  const workers = Array.from({ length: 4 }, () =>
    fork(join(here, 'stampede-worker.ts'), [name, REDIS_URL, `${PREFIX}mp`], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve()))));
  const done = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
  for (const worker of workers) worker.send({ key: `cold:${name}`, counterKey, requests: 250 });
  await Promise.all(done);
  const redis = new Redis(REDIS_URL);
  const calls = Number((await redis.get(counterKey)) ?? 0);
  redis.disconnect();
  return calls;
}

async function rowStampede(): Promise<void> {
  const inProcess = new Map<ContestantName, number>();
  const across = new Map<ContestantName, number>();
  for (const name of ['ours', ...COMPETITORS] as ContestantName[]) {
    inProcess.set(name, await stampedeInProcess(name));
    across.set(name, await stampedeAcrossProcesses(name));
  }
  const oursOne = inProcess.get('ours') ?? Number.NaN;
  const oursFour = across.get('ours') ?? Number.NaN;
  const label = (name: ContestantName) => (name === 'ours' ? 'ours' : VERSIONS[name]);
  const loaderRow = (name: string, ours: number, counts: Map<ContestantName, number>, ideal: string, note?: string): Row => ({
    name,
    unit: 'calls',
    ours,
    baseline: { name: ideal, value: 1 },
    competitors: COMPETITORS.map((contestant) => ({ name: label(contestant), value: counts.get(contestant) ?? Number.NaN })),
    ratio: round(ours / 1),
    target: '1',
    met: ours === 1,
    ...(note === undefined ? {} : { note }),
  });
  rows.push(loaderRow('loader calls, 1,000 concurrent cold getOrSet, 1 process', oursOne, inProcess, 'ideal (single-flight)'));
  rows.push(
    loaderRow(
      'loader calls, 1,000 concurrent cold getOrSet across 4 processes (250 each)',
      oursFour,
      across,
      'ideal (single-flight across instances)',
      'ours with `lease: true` (Redis SET NX PX lease, waiters woken by pub/sub); loader takes 100 ms',
    ),
  );
  log(`row 3: ours ${oursOne} / ${oursFour}`);
}

// ── row 4: L1 hit ratio at equal capacity ────────────────────────────────────────────────────────────────
function rowHitRatio(): void {
  const capacity = 1000;
  const zipf = zipfTrace(300_000, 100_000, 0.9, 1);
  const scan = withScan(zipf, 2000, 3000);
  const entry = (value: string) => ({ value, createdAt: 0, expiresAt: Infinity, staleUntil: Infinity, tags: [] as string[] });
  const ours = (trace: Uint32Array, admission: boolean) => {
    const tier = createMemoryTier({ maxSize: capacity, admission, purgeIntervalMs: 0 });
    return hitRatio(trace, { get: (key) => tier.getSync(key), set: (key, value) => tier.setSync(key, entry(value)) });
  };
  const lru = (trace: Uint32Array) => hitRatio(trace, new LRUCache<string, string>({ max: capacity }));
  // quick-lru keeps up to 2 × maxSize items (two generations); maxSize = capacity / 2 holds at most `capacity`.
  const quickAt = (trace: Uint32Array, maxSize: number) => hitRatio(trace, new QuickLRU<string, string>({ maxSize }));
  for (const [label, trace, target, check] of [
    ['with a one-hit scan (bursts of 3,000 new keys every 2,000 requests)', scan, '>= 5 points better than LRU', (delta: number) => delta >= 5],
    ['without scan', zipf, '<= 1 point worse than LRU', (delta: number) => delta >= -1],
  ] as const) {
    const ourRatio = ours(trace, true) * 100;
    const lruRatio = lru(trace) * 100;
    const delta = ourRatio - lruRatio;
    rows.push({
      name: `L1 hit ratio, Zipf(0.9) over 100,000 keys, capacity 1,000, ${label}`,
      unit: '% hits',
      ours: round(ourRatio, 2),
      baseline: { name: 'lru-cache 11 (max 1,000)', value: round(lruRatio, 2) },
      competitors: [
        { name: 'quick-lru 7.3 (maxSize 500: holds <= 1,000)', value: round(quickAt(trace, capacity / 2) * 100, 2) },
        { name: 'quick-lru 7.3 (maxSize 1,000: holds up to 2,000)', value: round(quickAt(trace, capacity) * 100, 2) },
        { name: 'ours, admission off (LRU mode, the default)', value: round(ours(trace, false) * 100, 2) },
      ],
      ratio: round(ourRatio / lruRatio),
      target,
      met: check(delta),
      note: 'ours = createMemoryTier({ admission: true }) (W-TinyLFU); 300,000 requests, cache-aside',
    });
  }
  // The admission default: on only if it never loses more than 1 point to LRU on recency-heavy traces.
  for (const [label, trace] of [
    ['sliding working set of 800 keys', slidingWindowTrace(300_000, 800, 20)],
    ['LRU stack-distance model (depth 5,000)', stackDistanceTrace(200_000, 5000, 0.1)],
  ] as const) {
    const withAdmission = ours(trace, true) * 100;
    const lruRatio = lru(trace) * 100;
    const defaultTier = createMemoryTier({ maxSize: capacity, purgeIntervalMs: 0 });
    const defaultRatio = hitRatio(trace, { get: (key) => defaultTier.getSync(key), set: (key, value) => defaultTier.setSync(key, entry(value)) }) * 100;
    rows.push({
      name: `admission default check: hit ratio on a recency-heavy trace (${label}), capacity 1,000`,
      unit: '% hits',
      ours: round(withAdmission, 2),
      baseline: { name: 'lru-cache 11 (max 1,000)', value: round(lruRatio, 2) },
      competitors: [{ name: 'ours, default configuration (admission off)', value: round(defaultRatio, 2) }],
      ratio: round(withAdmission / lruRatio),
      target: 'default obeys the rule: admission on by default only if <= 1 point worse than LRU here',
      // Judges the default configuration: it must stay within 1 point of LRU on this trace.
      met: defaultRatio >= lruRatio - 1,
      note: withAdmission < lruRatio - 1 ? 'admission loses more than 1 point here, so it is off by default' : 'admission within 1 point here',
    });
  }
  log('row 4 done');
}

// ── row 5: resident memory of L1 under 1,000,000-key churn ───────────────────────────────────────────────
async function rowMemory(): Promise<void> {
  const maxMemory = 64 * 1024 * 1024;
  const keys = quick ? 200_000 : 1_000_000;
  const result = await new Promise<{ resident: number; estimated: number; entries: number }>((resolve, reject) => {
    const worker = fork(join(here, 'memory-worker.ts'), [String(maxMemory), String(keys)], { execArgv: ['--expose-gc', '--import', 'tsx'] });
    worker.once('message', (message) => resolve(message as { resident: number; estimated: number; entries: number }));
    worker.once('error', reject);
  });
  const ratio = result.resident / maxMemory;
  rows.push({
    name: `L1 resident heap after ${keys.toLocaleString('en')}-key churn, mixed values (50 B – 8 KB strings, objects, arrays)`,
    unit: 'bytes',
    ours: result.resident,
    baseline: { name: 'maxMemory', value: maxMemory },
    ratio: round(ratio),
    target: 'within 10 % of maxMemory',
    met: Math.abs(ratio - 1) <= 0.1,
    note: `heapUsed + arrayBuffers after GC minus before; ${result.entries} entries held, estimated ${result.estimated} bytes`,
  });
  log(`row 5: resident ${result.resident} of ${maxMemory}`);
}

// ── predictive preloading: hit rate with and without, sequential access ─────────────────────────────────
async function predictiveHitRate(enabled: boolean): Promise<number> {
  // 40 "tours" of 6 pages; a visitor walks one tour page by page; pages (TTL 30 s) expire between visits.
  const clock = createFakeClock();
  const plugin = predictivePreloading({ enabled });
  const cache = createCache({ l1: { maxSize: 10_000 }, clock, plugins: [plugin] });
  const random = mulberry32(11);
  let hits = 0;
  let requests = 0;
  cache.addHook({ access: (event) => void (requests++, event.hit && hits++) });
  for (let visit = 0; visit < 1000; visit++) {
    const tour = Math.floor(random() * 40);
    for (let page = 0; page < 6; page++) {
      await cache.getOrSet(`tour:${tour}:page:${page}`, () => ({ tour, page }), { ttl: 30, predictive: true });
      await plugin.idle();
      clock.advance(1000);
    }
    clock.advance(20_000);
  }
  await cache.close();
  return (hits / requests) * 100;
}

async function rowPredictive(): Promise<void> {
  const without = await predictiveHitRate(false);
  const withPrediction = await predictiveHitRate(true);
  rows.push({
    name: 'predictive preloading: hit rate on a sequential workload (1,000 visits walking 6-page tours, pages expire between visits)',
    unit: '% hits',
    ours: round(withPrediction, 2),
    baseline: { name: 'same cache without predictive preloading', value: round(without, 2) },
    ratio: round(withPrediction / without),
    target: 'higher than without',
    met: withPrediction > without,
    note: 'L1 only, fake clock; the successor model prefetches the next page through the remembered loader',
  });
  log(`predictive: ${without.toFixed(1)} % → ${withPrediction.toFixed(1)} %`);
}

/** Median and p99 in µs of `count` calls made one after another. */
async function timeSequential(count: number, work: (index: number) => Promise<unknown>): Promise<{ median: number; p99: number }> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await work(index);
    latencies.push((performance.now() - started) * 1000);
  }
  latencies.sort((a, b) => a - b);
  return { median: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

// ── row 7: what the version check costs per fill ────────────────────────────────────────────────────────────
async function rowFillCost(): Promise<void> {
  const N = quick ? 500 : 3000;
  const value = { id: 1, name: 'x'.repeat(100) };
  const payload = JSON.stringify(value);
  const cache = createCache({ namespace: `${PREFIX}_fill`, l1: false, l2: { redis: REDIS_URL } });
  const redis = new Redis(REDIS_URL);
  const timeEach = (work: (index: number) => Promise<unknown>) => timeSequential(N, work);
  // Warm-up, then interleaved in thirds so a drift of the machine hits all three alike.
  for (let index = 0; index < 200; index++) await redis.set(`${PREFIX}:warm:${index}`, payload);
  const results = { fill: [] as number[], set: [] as number[], bare: [] as number[] };
  for (let round = 0; round < 3; round++) {
    results.fill.push((await timeEach(async (index) => cache.fill(await cache.beginFill(), `f:${round}:${index}`, value, { ttl: 60 }))).median);
    results.set.push((await timeEach((index) => cache.set(`s:${round}:${index}`, value, { ttl: 60 }))).median);
    results.bare.push((await timeEach((index) => redis.set(`${PREFIX}:bare:${round}:${index}`, payload, 'EX', 60))).median);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const fill = median(results.fill);
  const set = median(results.set);
  const bare = median(results.bare);
  rows.push({
    name: 'fill into L2: beginFill (version read) + conditional write (Lua check of key, tags, clear)',
    unit: 'µs/op',
    ours: round(fill, 1),
    baseline: { name: 'bare ioredis 6 SET EX (JSON)', value: round(bare, 1) },
    competitors: [{ name: 'ours: unconditional cache.set (versioned write, no bus)', value: round(set, 1) }],
    ratio: round(fill / bare, 2),
    target: 'reported: the price of refusing late fills (two round trips: the version at miss time, the checked write)',
    met: true,
    note: `sequential, one caller, ${N} ops × 3 interleaved rounds, median of the round medians; a getOrSet miss pays the version read once, during its lookup`,
  });
  log(`fill cost: fill ${fill.toFixed(1)} µs, set ${set.toFixed(1)} µs, bare SET ${bare.toFixed(1)} µs`);
  await cache.close();
  redis.disconnect();
}

// ── row 8: the slowest read while the writer's link to Redis stalls and is cut ─────────────────────────────
async function rowReadsUnderFault(): Promise<void> {
  const COMMAND_TIMEOUT = 30;
  const target = new URL(REDIS_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  // The reference server's settings: lease wait 2 × the command timeout, and the first timed-out command opens the circuit.
  const options = { namespace: `${PREFIX}_fault`, commandTimeout: COMMAND_TIMEOUT, bus: true, lease: { wait: 2 * COMMAND_TIMEOUT }, circuitBreaker: { failureThreshold: 1 } } as const;
  const writer = createCache({ ...options, l2: { redis: proxy.url } });
  const reader = createCache({ ...options, l2: { redis: REDIS_URL } });
  for (const cache of [writer, reader]) cache.on('error', () => {});
  await Promise.all([writer.ready(), reader.ready()]);
  const keys = Array.from({ length: 50 }, (_, index) => `k:${index}`);
  let version = 0;
  const loader = async () => version;
  const slowest = { writer: 0, reader: 0 };
  let reading = true;
  const readLoop = async (cache: typeof writer, side: 'writer' | 'reader') => {
    for (let turn = 0; reading; turn++) {
      const started = performance.now();
      await cache.getOrSet(keys[turn % keys.length]!, loader, { ttl: 60 });
      slowest[side] = Math.max(slowest[side], performance.now() - started);
      if (turn % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const loops = [readLoop(writer, 'writer'), readLoop(writer, 'writer'), readLoop(reader, 'reader'), readLoop(reader, 'reader')];
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const writes = async (count: number) => {
    for (let index = 0; index < count; index++) {
      version++;
      await writer.delete(keys[index % keys.length]!);
    }
  };
  await pause(300);
  await writes(20);
  proxy.stall();
  await writes(3);
  await pause(1000);
  proxy.restore();
  await pause(1500);
  proxy.cut();
  await writes(3);
  await pause(1000);
  proxy.restore();
  await pause(2000);
  reading = false;
  await Promise.all(loops);
  await Promise.all([writer.close(), reader.close()]);
  await proxy.close();
  const worst = Math.max(slowest.writer, slowest.reader);
  rows.push({
    name: `slowest getOrSet while the writer's Redis link is stalled (1 s) and cut (1 s), commandTimeout ${COMMAND_TIMEOUT} ms`,
    unit: 'ms',
    ours: round(worst, 1),
    baseline: { name: '2 × commandTimeout (the aim)', value: 2 * COMMAND_TIMEOUT },
    competitors: [
      { name: 'ours: on the instance behind the faulty link', value: round(slowest.writer, 1) },
      { name: 'ours: on the instance with a healthy link', value: round(slowest.reader, 1) },
    ],
    ratio: round(worst / (2 * COMMAND_TIMEOUT), 2),
    target: '<= 2 x commandTimeout',
    met: worst <= 2 * COMMAND_TIMEOUT,
    note: '2 createCache instances with bus, lease (wait 2 × commandTimeout) and circuitBreaker.failureThreshold 1, as the reference server; the writer through a loopback TCP proxy; 2 readers each; deletes on the writer during both faults',
  });
  log(`reads under fault: slowest ${slowest.writer.toFixed(1)} ms behind the faulty link, ${slowest.reader.toFixed(1)} ms on the healthy one`);
}

// ── row 9: L1 heap per entry and random-hit cost at 10^3 / 10^5 / 10^6 entries, beside lru-cache ────────────
function footprint(contestant: 'ours' | 'lru-cache', entries: number): Promise<FootprintResult> {
  return new Promise((resolve, reject) => {
    const worker = fork(join(here, 'footprint-worker.ts'), [contestant, String(entries), quick ? 'quick' : ''], { execArgv: ['--expose-gc', '--import', 'tsx'] });
    worker.once('message', (message) => resolve(message as FootprintResult));
    worker.once('error', reject);
    worker.once('exit', (code) => code === 0 || reject(new Error(`footprint worker (${contestant}, ${entries}) exited with ${code}`)));
  });
}

async function rowFootprint(): Promise<void> {
  const rounds = quick ? 1 : 3;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const entries of [1_000, 100_000, 1_000_000]) {
    const results = { ours: [] as FootprintResult[], 'lru-cache': [] as FootprintResult[] };
    // A fresh process per measurement, the order alternating between rounds so drift hits both alike.
    for (let pass = 0; pass < rounds; pass++) {
      for (const contestant of pass % 2 === 0 ? (['ours', 'lru-cache'] as const) : (['lru-cache', 'ours'] as const)) {
        results[contestant].push(await footprint(contestant, entries));
      }
    }
    const figure = (contestant: 'ours' | 'lru-cache', field: 'bytesPerEntry' | 'heapPerEntry' | 'awaitedNs' | 'syncNs') => median(results[contestant].map((result) => result[field]));
    const size = entries.toLocaleString('en');
    const bytesRatio = figure('ours', 'bytesPerEntry') / figure('lru-cache', 'bytesPerEntry');
    rows.push({
      name: `L1 memory per entry, ${size} entries { id: 'k:<n>' }`,
      unit: 'bytes/entry',
      ours: round(figure('ours', 'bytesPerEntry'), 1),
      baseline: { name: 'lru-cache 11 ({ max, ttl })', value: round(figure('lru-cache', 'bytesPerEntry'), 1) },
      competitors: [
        { name: 'ours: heapUsed part alone', value: round(figure('ours', 'heapPerEntry'), 1) },
        { name: 'lru-cache: heapUsed part alone', value: round(figure('lru-cache', 'heapPerEntry'), 1) },
      ],
      ratio: round(bytesRatio),
      target: '<= 1.5x lru-cache',
      met: bytesRatio <= 1.5,
      note: `heapUsed + arrayBuffers after GC, minus before the caches existed, per entry (key and value included; ${Math.ceil(100_000 / entries)} cache(s) of ${size}); a fresh --expose-gc process per measurement, median of ${rounds}`,
    });
    const hitRatio = figure('ours', 'awaitedNs') / figure('lru-cache', 'awaitedNs');
    rows.push({
      name: `L1 uniformly random hit, ${size} entries`,
      unit: 'ns/op',
      ours: round(figure('ours', 'awaitedNs'), 1),
      baseline: { name: 'awaited lru-cache 11 get', value: round(figure('lru-cache', 'awaitedNs'), 1) },
      competitors: [
        { name: 'ours: L1 tier getSync', value: round(figure('ours', 'syncNs'), 1) },
        { name: 'lru-cache 11 get (sync)', value: round(figure('lru-cache', 'syncNs'), 1) },
      ],
      ratio: round(hitRatio),
      target: '<= 1.25x awaited lru-cache get',
      met: hitRatio <= 1.25,
      note: `ours = await tier.get(key); lookup keys are fresh strings; median of 256-call batches (tinybench), per call; median of ${rounds} processes`,
    });
    log(`row 9 (${size}): ${figure('ours', 'bytesPerEntry').toFixed(0)} vs ${figure('lru-cache', 'bytesPerEntry').toFixed(0)} bytes/entry, ${figure('ours', 'awaitedNs').toFixed(0)} vs ${figure('lru-cache', 'awaitedNs').toFixed(0)} ns`);
  }
}

// ── row 10: default analytics (sampled) — cost on the L1 hit and what it still finds ─────────────────────────
async function rowAnalytics(): Promise<void> {
  const BATCH = 256;
  const loader = async () => ({ id: 1 });
  // Zipf(0.9) over 10,000 keys: the top-10 keys by exact count are the truth the sampled sketch must find.
  // Cost: the same hot-key loop as row 1 (64 keys, all L1 hits), with and without the default analytics.
  const hot = Array.from({ length: 64 }, (_, key) => `hot:${key}`);
  const withAnalytics = createCache({ namespace: `${PREFIX}_an_on`, l1: { maxSize: 10_000 } });
  const without = createCache({ namespace: `${PREFIX}_an_off`, l1: { maxSize: 10_000 }, analytics: false });
  for (const cache of [withAnalytics, without]) for (const key of hot) await cache.getOrSet(key, loader);
  const bench = new Bench({ time: quick ? 300 : 1500, warmupTime: 300 });
  let index = 0;
  bench.add('analytics on (default)', async () => {
    for (let count = 0; count < BATCH; count++) await withAnalytics.getOrSet(hot[index++ & 63]!, loader);
  });
  bench.add('analytics off', async () => {
    for (let count = 0; count < BATCH; count++) await without.getOrSet(hot[index++ & 63]!, loader);
  });
  // Interleaved twice so drift hits both alike.
  const medians = new Map<string, number[]>();
  for (let round = 0; round < 2; round++) {
    await bench.run();
    for (const task of bench.tasks) {
      const p50 = (task.result as { latency?: { p50?: number } } | undefined)?.latency?.p50 ?? Number.NaN;
      medians.set(task.name, [...(medians.get(task.name) ?? []), (p50 * 1e6) / BATCH]);
    }
  }
  const best = (name: string) => Math.min(...(medians.get(name) ?? [Number.NaN]));
  const on = best('analytics on (default)');
  const off = best('analytics off');
  rows.push({
    name: 'getOrSet L1 hit with the default analytics (sampled 1 in 32) vs analytics off',
    unit: 'ns/op',
    ours: round(on, 1),
    baseline: { name: 'the same cache, analytics: false', value: round(off, 1) },
    ratio: round(on / off, 3),
    target: '<= 1.15x analytics off',
    met: on / off <= 1.15,
    note: `64 hot keys as in row 1, ${BATCH}-call batches (tinybench), best median of 2 interleaved runs`,
  });
  // What the default finds: Zipf(0.9) over 10,000 keys; the top-10 by exact count is the truth.
  const trace = Array.from(zipfTrace(1_000_000, 10_000, 0.9, 9), (id) => `item:${id}`);
  const exact = new Map<string, number>();
  for (const key of trace) exact.set(key, (exact.get(key) ?? 0) + 1);
  const fresh = createCache({ namespace: `${PREFIX}_an_recall`, l1: { maxSize: 20_000 } });
  for (const key of trace) await fresh.getOrSet(key, loader);
  const truth = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key]) => key);
  const found = new Set(fresh.getAnalytics().topKeys?.map((entry) => entry.key));
  const recall = truth.filter((key) => found.has(key)).length / truth.length;
  rows.push({
    name: 'top-10 keys found by the default analytics, Zipf(0.9), 1,000,000 accesses over 10,000 keys',
    unit: 'recall',
    ours: round(recall, 2),
    baseline: { name: 'exact counts', value: 1 },
    ratio: round(recall, 2),
    target: '>= 0.9',
    met: recall >= 0.9,
    note: 'Space-Saving (256 counters) fed one hit in 32 (weighted 32) and every miss',
  });
  for (const cache of [withAnalytics, without, fresh]) await cache.close();
  log(`row 10: analytics on ${on.toFixed(1)} ns vs off ${off.toFixed(1)} ns (${(on / off).toFixed(3)}x); top-10 recall ${recall}`);
}

// ── row 11: the L3 SQLite tier on node:sqlite (the default) vs better-sqlite3, set and get ──────────────────────
async function rowSqliteDrivers(): Promise<void> {
  const drivers = availableSqliteDrivers();
  if (!drivers.includes('node:sqlite') || !drivers.includes('better-sqlite3')) {
    log(`row 11 skipped: needs both SQLite drivers, this runtime loads ${drivers.join(', ') || 'none'}`);
    return;
  }
  const N = quick ? 500 : 5000;
  const directory = mkdtempSync(join(tmpdir(), 'wai-bench-sqlite-'));
  const value = { id: 1, name: 'x'.repeat(100), tags: ['a', 'b'] };
  const tiers = new Map((['node:sqlite', 'better-sqlite3'] as SqliteDriverName[]).map((driver) => [driver, createSqliteTier({ path: join(directory, `${driver.replace(':', '-')}.db`), namespace: 'bench', sqliteDriver: driver, purgeInterval: 0 })]));
  const entry = () => ({ value, createdAt: Date.now(), expiresAt: Date.now() + 600_000, staleUntil: Date.now() + 600_000, tags: ['workshop'] });
  const timeEach = (work: (index: number) => Promise<unknown>) => timeSequential(N, work);
  // Same tier code, same schema and pragmas, a file each; rounds alternate which driver goes first.
  const results = new Map<string, { median: number[]; p99: number[] }>();
  const record = (name: string, figure: { median: number; p99: number }) => {
    const entryFigures = results.get(name) ?? { median: [], p99: [] };
    entryFigures.median.push(figure.median);
    entryFigures.p99.push(figure.p99);
    results.set(name, entryFigures);
  };
  for (const tier of tiers.values()) for (let index = 0; index < 200; index++) await tier.set(`warm:${index}`, entry());
  for (let round = 0; round < 3; round++) {
    const order = round % 2 === 0 ? [...tiers.keys()] : [...tiers.keys()].reverse();
    for (const driver of order) {
      const tier = tiers.get(driver)!;
      record(`${driver} set`, await timeEach((index) => tier.set(`k:${round}:${index}`, entry())));
      record(`${driver} get`, await timeEach((index) => tier.get(`k:${round}:${index}`)));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const operation of ['set', 'get'] as const) {
    const ours = results.get(`node:sqlite ${operation}`)!;
    const baseline = results.get(`better-sqlite3 ${operation}`)!;
    const ratio = median(ours.median) / median(baseline.median);
    rows.push({
      name: `L3 SQLite tier ${operation === 'set' ? 'set (versioned write in BEGIN IMMEDIATE, one tag)' : 'get (hit, tag-version check)'}: node:sqlite driver`,
      unit: 'µs/op',
      ours: round(median(ours.median), 1),
      ours_p99: round(median(ours.p99), 1),
      baseline: { name: 'same tier on better-sqlite3 12', value: round(median(baseline.median), 1) },
      competitors: [{ name: 'better-sqlite3 12 p99', value: round(median(baseline.p99), 1) }],
      ratio: round(ratio, 2),
      target: '<= 1.5x better-sqlite3 (node:sqlite is the default: no native build)',
      met: ratio <= 1.5,
      note: `file databases in WAL, synchronous=NORMAL; sequential, one caller, ${N} ops × 3 rounds alternating the driver order, median of the round medians`,
    });
    log(`row 11 ${operation}: node:sqlite ${median(ours.median).toFixed(1)} µs, better-sqlite3 ${median(baseline.median).toFixed(1)} µs (${ratio.toFixed(2)}x)`);
  }
  for (const tier of tiers.values()) await tier.close();
  rmSync(directory, { recursive: true, force: true });
}

async function cleanUp(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `*${RUN}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
  redis.disconnect();
}

async function main(): Promise<void> {
  log(`Redis ${REDIS_URL}, prefix ${PREFIX}`);
  try {
    if (runs(1)) await rowL1Hit();
    if (runs(2)) await rowL2Hit();
    if (runs(3)) await rowStampede();
    if (runs(4)) rowHitRatio();
    if (runs(5)) await rowMemory();
    if (runs(6)) await rowPredictive();
    if (runs(7)) await rowFillCost();
    if (runs(8)) await rowReadsUnderFault();
    if (runs(9)) await rowFootprint();
    if (runs(10)) await rowAnalytics();
    if (runs(11)) await rowSqliteDrivers();
  } finally {
    await cleanUp();
  }
  if (selectedRows !== undefined) {
    for (const row of rows) log(`${row.met ? 'met ' : 'MISS'} ${row.name}: ${row.ours} ${row.unit} vs ${row.baseline.name} ${row.baseline.value} (ratio ${row.ratio}); ${JSON.stringify(row.competitors ?? [])}`);
    log('partial run (--rows): results file not written');
    return;
  }
  const RESULTS = writeBenchResult('cache-tiers.json', '@wai/cache-tiers', rows);
  for (const row of rows) log(`${row.met ? 'met ' : 'MISS'} ${row.name}: ${row.ours} ${row.unit} vs ${row.baseline.name} ${row.baseline.value}`);
  log(`wrote ${RESULTS}`);
}

await main();
process.exit(0);
