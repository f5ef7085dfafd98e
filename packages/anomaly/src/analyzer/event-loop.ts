import type { AnalyzerContext, ProfileFunction, ProfileSummary, Recommendation } from '@wai/metrics-core';
import { formatMs, formatPercent, round } from './format.js';
import { recentPoints } from './history.js';
import type { Findings } from './findings.js';
import type { ResolvedOptions } from './options.js';

/** V8's pseudo-frames: not code anyone can move off the loop. */
const PSEUDO_FRAMES = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/**
 * Event-loop blocking: delay p99 ≥ `eventLoopDelayMs` while the CPU is busy (CPU ≥ `busyCpuPercent` or
 * event-loop utilisation ≥ `busyUtilization`) — synchronous JavaScript is holding the loop. (A high delay with an
 * idle CPU points elsewhere — GC pauses or a saturated host — and is not reported here.) Severity: critical at
 * ≥ 5 × `eventLoopDelayMs`, warning otherwise. The newest CPU profile from the last `profileMaxAgeMs` is
 * attached as evidence (its top self-time functions) and names what to move off the loop.
 */
export function findEventLoopBlocking(context: AnalyzerContext, options: ResolvedOptions): Findings {
  const findings: Findings = { bottlenecks: [], recommendations: [] };
  const { eventLoop, cpu } = context.snapshot;
  const busy = cpu.percent >= options.busyCpuPercent || eventLoop.utilization >= options.busyUtilization;
  if (!(eventLoop.delayP99 >= options.eventLoopDelayMs && busy)) return findings;

  const delays = recentPoints(context, 'event_loop_delay_p99', options.blockingWindowMs);
  const blockedShare = delays.length > 0 ? delays.filter((point) => point.v >= options.eventLoopDelayMs).length / delays.length : undefined;
  const profile = latestProfile(context, options);
  const top = profile?.topFunctions.filter((fn) => !PSEUDO_FRAMES.has(fn.functionName)).slice(0, 5) ?? [];
  const evidence = {
    delayP50Ms: eventLoop.delayP50,
    delayP99Ms: eventLoop.delayP99,
    delayMaxMs: eventLoop.delayMax,
    utilization: round(eventLoop.utilization),
    cpuPercent: round(cpu.percent, 1),
    thresholdMs: options.eventLoopDelayMs,
    ...(blockedShare === undefined ? {} : { blockedShareOfSamples: round(blockedShare), samples: delays.length }),
    ...(profile
      ? {
          profile: {
            id: profile.id,
            reason: profile.reason,
            startedAt: profile.startedAt,
            durationMs: profile.durationMs,
            topFunctions: top.map((fn) => ({ functionName: fn.functionName || '(anonymous)', url: fn.url, lineNumber: fn.lineNumber, selfMs: fn.selfMs, selfPercent: fn.selfPercent })),
          },
        }
      : {}),
  };
  const culprit = top[0];
  findings.bottlenecks.push({
    id: 'event_loop_blocking:main',
    kind: 'event_loop_blocking',
    severity: eventLoop.delayP99 >= 5 * options.eventLoopDelayMs ? 'critical' : 'warning',
    title: 'Event loop blocked by CPU-bound work',
    detail:
      `Event-loop delay p99 is ${formatMs(eventLoop.delayP99)} (p50 ${formatMs(eventLoop.delayP50)}) with CPU at ${round(cpu.percent, 0)} % ` +
      `and loop utilisation ${formatPercent(eventLoop.utilization)}` +
      (culprit ? `; the latest profile's top function is ${describe(culprit)}.` : '.'),
    evidence,
    impact: `every request waits up to ${formatMs(eventLoop.delayP99)} (p99) before its handler runs`,
  });
  findings.recommendations.push(culprit ? offloadRecommendation(culprit, eventLoop.delayP99, evidence) : profileRecommendation(eventLoop.delayP99, evidence));
  return findings;
}

function latestProfile(context: AnalyzerContext, options: ResolvedOptions): ProfileSummary | undefined {
  let latest: ProfileSummary | undefined;
  for (const profile of context.profiles) {
    if (context.now - profile.startedAt > options.profileMaxAgeMs) continue;
    if (!latest || profile.startedAt > latest.startedAt) latest = profile;
  }
  return latest;
}

const describe = (fn: ProfileFunction): string =>
  `${fn.functionName || '(anonymous)'} (${fn.url || 'native'}:${fn.lineNumber}, ${round(fn.selfPercent, 1)} % of CPU self time)`;

function offloadRecommendation(fn: ProfileFunction, delayP99: number, evidence: Record<string, unknown>): Recommendation {
  return {
    // One id whatever the function: a newer profile updates the advice instead of adding another.
    id: 'event_loop_offload',
    kind: 'event_loop_offload',
    severity: 'warning',
    title: `Move ${fn.functionName || '(anonymous)'} off the event loop`,
    action: `Move ${describe(fn)} to a worker thread, make it asynchronous, or split it into chunks that yield (setImmediate)`,
    expectedEffect: `frees up to ${round(fn.selfPercent, 1)} % of main-thread CPU and brings event-loop delay p99 (${formatMs(delayP99)}) down accordingly`,
    detail: 'CPU-bound JavaScript on the main thread delays every other request while it runs.',
    evidence,
    impact: `up to ${formatMs(delayP99)} of added latency per request at p99`,
  };
}

function profileRecommendation(delayP99: number, evidence: Record<string, unknown>): Recommendation {
  return {
    id: 'event_loop_offload',
    kind: 'capture_profile',
    severity: 'info',
    title: 'Profile the blocked event loop',
    action: 'Capture a CPU profile while the loop is blocked (monitor.captureProfile({ durationMs: 5000 }), or enableProfiling in createRouteMonitoring)',
    expectedEffect: `names the functions behind the ${formatMs(delayP99)} p99 event-loop delay, so the next analysis can say what to move off the loop`,
    detail: 'No recent CPU profile is available to tell which code blocks the loop.',
    evidence,
    impact: `up to ${formatMs(delayP99)} of added latency per request at p99`,
  };
}
