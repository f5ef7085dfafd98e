/**
 * Cost of the fleet: CPU time of one publish (export the window of 2,000 route series, encode, send to Redis) as a
 * share of one core at the sampling interval, and of one fleet read (MGET + merge of 3 instances × 2,000 series),
 * each against `getCurrentMetrics()` on the same monitor (what one dashboard read of one instance costs), in the
 * same run. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379; keys under a random namespace, removed).
 * Part of `pnpm --filter @wai/metrics-core bench`; `node --import tsx bench/fleet-publish.bench.ts` prints the rows alone.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { median, round, type BenchRow as Row } from '@wai/test-services/bench';
import { createPerformanceMonitor, type PerformanceMonitor } from '../src/index.js';
import { createFleetPublisher, createFleetReader } from '../src/fleet/index.js';
import { logNormalSamples } from '../test/random.js';

const SERIES = 2000;
/** The monitor's default sampling interval, which the publisher follows. */
const DEFAULT_INTERVAL_MS = 30_000;
const RUNS = 25;

/** CPU milliseconds (user + system) `work` takes, awaited. */
async function cpuMs(work: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** A monitor with 2,000 route series, each with 50 log-normal durations (median 40 ms) in the current window. */
function loadedMonitor(seed: number): PerformanceMonitor {
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false, maxSeries: SERIES });
  const durations = logNormalSamples(SERIES * 50, Math.log(40), 1, seed);
  for (let r = 0; r < SERIES; r++) {
    for (let i = 0; i < 50; i++) monitor.trackEndpoint(`/api/resource${r}/:id`, durations[r * 50 + i]!, i % 40 === 0 ? 500 : 200, 'GET');
  }
  return monitor;
}

export async function fleetPublishCost(): Promise<Row[]> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const namespace = `wai-bench-fleet-${randomBytes(4).toString('hex')}`;
  const monitors = [loadedMonitor(1), loadedMonitor(2), loadedMonitor(3)];
  const publishers = monitors.map((monitor, index) => createFleetPublisher({ monitor, redis, namespace, instanceId: `bench-${index}`, autoStart: false }));
  const reader = createFleetReader({ redis, namespace, cacheMs: 0 });
  const publishMs: number[] = [];
  const readMs: number[] = [];
  const snapshotMs: number[] = [];
  try {
    // Warm-up: JIT, the Redis connection, and every instance present for the reads.
    for (let i = 0; i < 3; i++) for (const publisher of publishers) await publisher.publish();
    await reader.read();
    monitors[0]!.getCurrentMetrics();
    for (let run = 0; run < RUNS; run++) {
      publishMs.push(await cpuMs(() => publishers[0]!.publish()));
      readMs.push(await cpuMs(() => reader.read()));
      snapshotMs.push(await cpuMs(() => monitors[0]!.getCurrentMetrics()));
    }
    const bytes = publishers[0]!.stats().lastBytes;
    const view = await reader.read();
    if (view.instanceCount !== 3 || view.endpoints.length !== SERIES) throw new Error(`fleet bench: expected 3 instances x ${SERIES} series, read ${view.instanceCount} x ${view.endpoints.length}`);
    const publish = median(publishMs);
    const read = median(readMs);
    const snapshot = median(snapshotMs);
    const share = (publish / DEFAULT_INTERVAL_MS) * 100;
    return [
      {
        name: `fleet publish of ${SERIES} route series (export + encode + SET to Redis), CPU per publish as % of one core at the 30 s interval`,
        unit: '% of one core',
        ours: round(share, 4),
        baseline: { name: `getCurrentMetrics() on the same monitor (${round(snapshot, 2)} ms CPU), as % of one core at the same interval`, value: round((snapshot / DEFAULT_INTERVAL_MS) * 100, 4) },
        ratio: round(publish / snapshot, 2),
        target: '< 1 % of one core per instance',
        met: share < 1,
        note: `${round(publish, 2)} ms CPU per publish (median of ${RUNS}), value ${round(bytes / 1024, 1)} KiB; at a 5 s interval ${round((publish / 5000) * 100, 3)} %`,
      },
      {
        name: `fleet read: MGET + merge of 3 instances x ${SERIES} route series`,
        unit: 'ms CPU',
        ours: round(read, 2),
        baseline: { name: 'getCurrentMetrics() of one instance on the same monitor', value: round(snapshot, 2) },
        ratio: round(read / snapshot, 2),
        target: '<= 10x one instance snapshot (3x the series, plus decoding)',
        met: read / snapshot <= 10,
      },
    ];
  } finally {
    await Promise.all(publishers.map((publisher) => publisher.close()));
    await Promise.all(monitors.map((monitor) => monitor.close()));
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await fleetPublishCost());
}
