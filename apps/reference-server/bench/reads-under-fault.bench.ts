/**
 * `pnpm --filter @wai/reference-server bench` (after `pnpm build`) → bench/results/reference-server.json.
 * The consistency suite's fault scenario as a measurement: two built server processes sharing Redis and their
 * SQLite data; the writer reaches Redis through a loopback TCP proxy (on its own thread) that is stalled (1 s) and cut (1 s) while it
 * writes; readers on both instances hammer the item, list and search routes. Reported: the slowest HTTP read of
 * the run on each side, against the aim of 2 × the cache command timeout (30 ms by default). The first
 * `WARM_UP_MS` of reads (fresh processes: JIT, first queries, first fills) are reported apart, not measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, startTcpProxyThread, uniquePrefix } from '@wai/test-services';
import { round, writeBenchResult, type BenchRow } from '@wai/test-services/bench';
import { request, startServer, type ServerProcess } from '../test/helpers/server-process.js';

const COMMAND_TIMEOUT_MS = 30;
const WARM_UP_MS = 2000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisUrl = () => REDIS_URL;
const ROUTES = ['/api/workshops/5', '/api/workshops?pageSize=10', '/api/workshops?q=node'];
const log = (message: string) => console.log(`[bench] ${message}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const namespace = uniquePrefix('ref-bench-fault').replace(/:$/, '').replace(/:/g, '-');
  const dataDir = mkdtempSync(join(tmpdir(), 'wai-ref-bench-'));
  const direct = new URL(redisUrl());
  // On its own thread: relaying in this process would wait behind the readers' work and slow the link measured.
  const proxy = await startTcpProxyThread({ host: direct.hostname, port: Number(direct.port || 6379) });
  const common = { CACHE_NAMESPACE: namespace, CACHE_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS), RATE_LIMIT_MAX: '100000000', RATE_LIMIT_WRITE_MAX: '100000000' };
  let writer: ServerProcess | undefined;
  let reader: ServerProcess | undefined;
  try {
    writer = await startServer({ dataDir, env: { ...common, REDIS_URL: proxy.url } });
    reader = await startServer({ dataDir, env: { ...common, REDIS_URL: redisUrl() } });
    const slowest = new Map<ServerProcess, number>([
      [writer, 0],
      [reader, 0],
    ]);
    const slowestByPhase = new Map<string, number>();
    let reads = 0;
    // What the server itself spent (its Server-Timing `total`), apart from queueing in the client and the kernel.
    let serverSlowest = 0;
    const t0 = performance.now();
    let phase = 'warm';
    let reading = true;
    const readLoop = async (server: ServerProcess, offset: number) => {
      for (let turn = offset; reading; turn++) {
        const started = performance.now();
        const route = ROUTES[turn % ROUTES.length]!;
        const response = await request(`${server.url}${route}`);
        const took = performance.now() - started;
        slowestByPhase.set(phase, Math.max(slowestByPhase.get(phase) ?? 0, took));
        if (phase === 'warm') continue;
        slowest.set(server, Math.max(slowest.get(server)!, took));
        const total = /total;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
        if (total) serverSlowest = Math.max(serverSlowest, Number(total[1]));
        // BENCH_TRACE=1 prints every read over 40 ms with its Server-Timing phases and the fault phase.
        if (process.env.BENCH_TRACE && took > 40) log(`${(performance.now() - t0).toFixed(0)} ${server === writer ? 'W' : 'R'} ${route} ${took.toFixed(1)} ms ${response.headers.get('x-cache')} ${response.headers.get('server-timing')} phase=${phase}`);
        reads++;
      }
    };
    const loops = [0, 1, 2].flatMap((offset) => [readLoop(writer!, offset), readLoop(reader!, offset)]);
    let title = 0;
    const writes = async (count: number) => {
      for (let index = 0; index < count; index++) {
        const started = performance.now();
        await request(`${writer!.url}/api/workshops/5`, { method: 'PUT', body: { title: `bench ${++title}` } });
        if (process.env.BENCH_TRACE) log(`${(started - t0).toFixed(0)} PUT ${(performance.now() - started).toFixed(1)} ms phase=${phase}`);
      }
    };
    await pause(WARM_UP_MS);
    phase = 'healthy';
    await pause(500);
    phase = 'writes';
    await writes(10);
    phase = 'stall';
    await proxy.stall();
    await writes(2);
    await pause(1000);
    await proxy.restore();
    phase = 'restored';
    await pause(1500);
    phase = 'cut';
    await proxy.cut();
    await writes(2);
    await pause(1000);
    await proxy.restore();
    phase = 'restored2';
    await pause(2000);
    reading = false;
    await Promise.all(loops);
    if (process.env.BENCH_TRACE) {
      for (const server of [writer, reader]) {
        const { body } = await request(`${server.url}/api/performance/enhanced/profile`);
        log(`${server === writer ? 'W' : 'R'} profiles: ${JSON.stringify((body as { profiles?: Array<{ reason: string; startedAt: number }> }).profiles?.map(({ reason, startedAt }) => ({ reason, startedAt })) ?? body)}`);
      }
    }
    const onWriter = slowest.get(writer)!;
    const onReader = slowest.get(reader)!;
    const worst = Math.max(onWriter, onReader);
    const aim = 2 * COMMAND_TIMEOUT_MS;
    const row: BenchRow = {
      name: `slowest HTTP read while one instance's Redis link is stalled (1 s) and cut (1 s), CACHE_COMMAND_TIMEOUT_MS ${COMMAND_TIMEOUT_MS}`,
      unit: 'ms',
      ours: round(worst, 1),
      baseline: { name: '2 × the command timeout (the aim)', value: aim },
      competitors: [
        { name: 'on the instance behind the faulty link', value: round(onWriter, 1) },
        { name: 'on the instance with a healthy link', value: round(onReader, 1) },
        { name: 'longest time a server spent on one read (its Server-Timing total)', value: round(serverSlowest, 1) },
      ],
      ratio: round(worst / aim, 2),
      target: '<= 2 x the command timeout',
      met: worst <= aim,
      note: `2 server processes (SQLite + Redis, bus, lease), 3 readers each over item/list/search, ${reads} reads after a ${WARM_UP_MS} ms warm-up (slowest read then ${round(slowestByPhase.get('warm') ?? 0, 1)} ms, not counted); PUTs on the writer during both faults; slowest read per phase: ${[...slowestByPhase].filter(([name]) => name !== 'warm').map(([name, ms]) => `${name} ${round(ms, 1)} ms`).join(', ')}`,
    };
    log(`slowest read per phase: ${[...slowestByPhase].map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`).join(', ')}`);
    log(`slowest read ${onWriter.toFixed(1)} ms behind the faulty link, ${onReader.toFixed(1)} ms on the healthy one, ${serverSlowest.toFixed(1)} ms inside a server (${reads} reads)`);
    log(`wrote ${writeBenchResult('reference-server.json', '@wai/reference-server', [row])}`);
  } finally {
    await Promise.all([writer?.stop(), reader?.stop()]);
    await proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
    const client = new Redis(redisUrl());
    await deleteKeysWithPrefix(client, `{${namespace}}`);
    client.disconnect();
  }
}

await main();
