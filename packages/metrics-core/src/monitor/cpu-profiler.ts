import { Session } from 'node:inspector';
import { WaiError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { ProfileFunction, ProfileResult, ProfileSummary } from '../contracts/profiling.js';

/** Longest capture allowed (a profile slows the process a little while it runs). */
export const MAX_PROFILE_MS = 60_000;
const TOP_FUNCTIONS = 20;

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * CPU profiles through the V8 inspector protocol (`Profiler.start` / `Profiler.stop` on an in-process
 * `node:inspector` Session). One capture at a time; the last `keep` results are kept for download.
 */
export class CpuProfiler {
  private readonly clock: Clock;
  private readonly keep: number;
  private readonly results: ProfileResult[] = [];
  private busy = false;
  private nextId = 1;

  constructor(clock: Clock, keep = 5) {
    this.clock = clock;
    this.keep = keep;
  }

  async capture(options: { durationMs?: number; reason?: string } = {}): Promise<ProfileResult> {
    const durationMs = options.durationMs ?? 1000;
    if (!(durationMs > 0 && durationMs <= MAX_PROFILE_MS)) {
      throw new WaiError('E_INVALID_ARGUMENT', `[wai:metrics-core] captureProfile durationMs must be in (0, ${MAX_PROFILE_MS}], got ${durationMs}`, { statusCode: 400 });
    }
    if (this.busy) throw new WaiError('E_PROFILER_BUSY', '[wai:metrics-core] a CPU profile is already being captured; wait for it to finish', { statusCode: 409 });
    this.busy = true;
    const session = new Session();
    const post = <T>(method: string, params?: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
    const startedAt = this.clock.now();
    try {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 1000 });
      await post('Profiler.start');
      // Real time, not the injected clock: the profiler samples the real process.
      await new Promise<void>((resolve) => setTimeout(resolve, durationMs).unref());
      const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
      await post('Profiler.disable');
      const result: ProfileResult = {
        id: `profile-${startedAt}-${this.nextId++}`,
        startedAt,
        durationMs: (profile.endTime - profile.startTime) / 1000,
        reason: options.reason ?? 'manual',
        topFunctions: topSelfTime(profile),
        profile,
      };
      this.results.push(result);
      if (this.results.length > this.keep) this.results.shift();
      return result;
    } finally {
      session.disconnect();
      this.busy = false;
    }
  }

  get capturing(): boolean {
    return this.busy;
  }

  list(): ProfileSummary[] {
    return this.results.map(({ profile: _profile, ...summary }) => ({ ...summary, topFunctions: [...summary.topFunctions] }));
  }

  get(id: string): ProfileResult | undefined {
    return this.results.find((result) => result.id === id);
  }
}

/** Self time per function: each sample's time delta goes to the node on top of the stack. */
export function topSelfTime(profile: CpuProfile, limit = TOP_FUNCTIONS): ProfileFunction[] {
  const nodes = new Map<number, CpuProfileNode>();
  for (const node of profile.nodes) nodes.set(node.id, node);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfMicros = new Map<string, { frame: CpuProfileNode['callFrame']; micros: number }>();
  let total = 0;
  for (let k = 0; k < samples.length; k++) {
    const node = nodes.get(samples[k]!);
    // V8 reports the time since the previous sample in the next delta.
    const micros = Math.max(0, deltas[k + 1] ?? deltas[k] ?? 0);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    total += micros;
    const frame = node.callFrame;
    const key = `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}`;
    const entry = selfMicros.get(key);
    if (entry) entry.micros += micros;
    else selfMicros.set(key, { frame, micros });
  }
  return [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, limit)
    .map(({ frame, micros }) => ({
      functionName: frame.functionName || '(anonymous)',
      url: frame.url,
      lineNumber: frame.lineNumber + 1,
      selfMs: micros / 1000,
      selfPercent: total > 0 ? (micros / total) * 100 : 0,
    }));
}
