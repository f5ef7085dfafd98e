import { getHeapStatistics } from 'node:v8';
import { monitorEventLoopDelay, performance, PerformanceObserver, constants, type IntervalHistogram, type EventLoopUtilization } from 'node:perf_hooks';
import type { CpuStats, EventLoopStats, GcStats, MemoryStats } from '../contracts/metrics.js';

export interface SystemSample {
  memory: MemoryStats;
  cpu: CpuStats;
  eventLoop: EventLoopStats;
  gc: GcStats;
}

/** GC kinds whose pause ends with a full heap (V8 mark-sweep-compact): the heap after them is the leak signal. */
const MAJOR_GC = constants.NODE_PERFORMANCE_GC_MAJOR;
/** Sampling resolution of the event-loop delay histogram (ms). */
const DELAY_RESOLUTION_MS = 10;

/**
 * Process metrics read on each sample: heap and RSS (`process.memoryUsage`, `v8.getHeapStatistics`), CPU %
 * from `process.cpuUsage` deltas over monotonic wall time, event-loop delay percentiles from
 * `perf_hooks.monitorEventLoopDelay` (reset per sample, so they describe the last interval), event-loop
 * utilisation from `performance.eventLoopUtilization` deltas, and GC pauses from a `PerformanceObserver` on
 * `gc` entries. `start()` enables the histogram and observer; `stop()` releases both.
 */
export class SystemSampler {
  private histogram: IntervalHistogram | undefined;
  private observer: PerformanceObserver | undefined;
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private gcPauseMs = 0;
  private gcCount = 0;
  private gcMajor = 0;
  private heapAfterGc: number | undefined;
  private last: SystemSample = emptySample();

  get running(): boolean {
    return this.histogram !== undefined;
  }

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.histogram.enable();
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = performance.now();
    this.lastElu = performance.eventLoopUtilization();
    try {
      this.observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          this.gcPauseMs += entry.duration;
          this.gcCount++;
          const kind = ((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
          if (kind === MAJOR_GC) {
            this.gcMajor++;
            // Read right after the major GC's entry is delivered: the closest cheap reading of live heap.
            this.heapAfterGc = process.memoryUsage().heapUsed;
          }
        }
      });
      this.observer.observe({ entryTypes: ['gc'] });
    } catch {
      this.observer = undefined;
    }
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** Reads everything now; delta figures (CPU, ELU, GC, delay) cover the time since the previous sample. */
  sample(): SystemSample {
    const memoryUsage = process.memoryUsage();
    const heap = getHeapStatistics();
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = Math.max(1, now - this.lastCpuAt);
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    const histogram = this.histogram;
    // The histogram records the time between timer turns, resolution included (an idle loop reads ≈ 10 ms at a
    // 10 ms resolution); the delay is what exceeds the resolution.
    const delay = (ns: number) => Math.max(0, ns * 1e-6 - DELAY_RESOLUTION_MS);
    const eventLoop: EventLoopStats =
      histogram && histogram.count > 0
        ? {
            delayP50: delay(histogram.percentile(50)),
            delayP99: delay(histogram.percentile(99)),
            delayMax: delay(histogram.max),
            utilization: elu.utilization,
          }
        : { delayP50: 0, delayP99: 0, delayMax: 0, utilization: elu.utilization };
    histogram?.reset();
    const memory: MemoryStats = {
      heapUsed: memoryUsage.heapUsed,
      heapTotal: memoryUsage.heapTotal,
      heapLimit: heap.heap_size_limit,
      rss: memoryUsage.rss,
      external: memoryUsage.external,
      usagePercent: heap.heap_size_limit > 0 ? (memoryUsage.heapUsed / heap.heap_size_limit) * 100 : 0,
    };
    if (this.heapAfterGc !== undefined) memory.heapAfterGc = this.heapAfterGc;
    this.last = {
      memory,
      cpu: {
        percent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
        userMs: cpu.user / 1000,
        systemMs: cpu.system / 1000,
      },
      eventLoop,
      gc: { pauseMs: this.gcPauseMs, count: this.gcCount, majorCount: this.gcMajor },
    };
    this.gcPauseMs = 0;
    this.gcCount = 0;
    this.gcMajor = 0;
    return this.last;
  }

  /** The latest sample (zeros before the first). */
  latest(): SystemSample {
    return this.last;
  }
}

export function emptySample(): SystemSample {
  return {
    memory: { heapUsed: 0, heapTotal: 0, heapLimit: 0, rss: 0, external: 0, usagePercent: 0 },
    cpu: { percent: 0, userMs: 0, systemMs: 0 },
    eventLoop: { delayP50: 0, delayP99: 0, delayMax: 0, utilization: 0 },
    gc: { pauseMs: 0, count: 0, majorCount: 0 },
  };
}
