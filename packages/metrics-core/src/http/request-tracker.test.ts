import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createFakeClock } from '../fake-clock.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import type { ProfileResult } from '../contracts/profiling.js';
import { createProfileTrigger } from './profile-trigger.js';
import { createRequestTracker } from './request-tracker.js';

function recordingMonitor() {
  const calls: string[] = [];
  let delay = 0;
  let profiles = 0;
  const monitor = {
    requestStarted: () => calls.push('started'),
    requestFinished: () => calls.push('finished'),
    trackEndpoint: (route: string, duration: number, status: number, method: string) => calls.push(`endpoint ${method} ${route} ${status} ${duration}`),
    trackError: (route: string) => calls.push(`error ${route}`),
    trackAborted: (route: string) => calls.push(`aborted ${route}`),
    getLoadSignal: () => ({ eventLoopDelayP99: delay }),
    captureProfile: async (options: { reason: string }): Promise<ProfileResult> => {
      profiles++;
      return { id: `p${profiles}`, startedAt: 0, durationMs: 10, reason: options.reason, topFunctions: [{ functionName: 'hot', url: 'x.js', lineNumber: 1, selfMs: 9, selfPercent: 90 }], profile: {} };
    },
  } as unknown as PerformanceMonitor;
  return { monitor, calls, setDelay: (value: number) => (delay = value), profiles: () => profiles };
}

describe('request tracker', () => {
  it('reports exactly once, with phases and errors', () => {
    const { monitor, calls } = recordingMonitor();
    let now = 100;
    const tracker = createRequestTracker({ monitor, now: () => now });
    const track = tracker.start();
    now = 103;
    track.mark('cache');
    now = 110;
    track.fail(new Error('x'));
    expect(track.serverTiming()).toBe('cache;dur=3.00, total;dur=10.00');
    expect(track.finish('/a/:id', 'GET', 500)).toBe(10);
    track.finish('/a/:id', 'GET', 500);
    track.abort('/a/:id', 'GET');
    expect(calls).toEqual(['started', 'error /a/:id', 'endpoint GET /a/:id 500 10', 'finished']);
  });

  it('sums a phase marked twice into one Server-Timing metric', () => {
    let now = 0;
    const track = createRequestTracker({ now: () => now }).start();
    now = 2;
    track.mark('ratelimit');
    now = 3;
    track.mark('ratelimit');
    now = 7;
    track.mark('cache');
    now = 10;
    expect(track.serverTiming()).toBe('ratelimit;dur=3.00, cache;dur=4.00, total;dur=10.00');
  });

  it('reports aborts and survives a throwing monitor', () => {
    const { monitor, calls } = recordingMonitor();
    const tracker = createRequestTracker({ monitor });
    tracker.start().abort('/b', 'POST');
    expect(calls).toEqual(['started', 'aborted /b', 'finished']);
    const broken = { requestStarted: () => { throw new Error('boom'); } } as unknown as PerformanceMonitor;
    expect(() => createRequestTracker({ monitor: broken }).start().finish('/c', 'GET', 200)).not.toThrow();
    expect(() => createRequestTracker().start().finish('/c', 'GET', 200)).not.toThrow();
  });
});

describe('profile trigger', () => {
  it('captures on a slow request or a blocked loop, at most once per interval', async () => {
    const clock = createFakeClock(0);
    const { monitor, setDelay, profiles } = recordingMonitor();
    const seen: string[] = [];
    const trigger = createProfileTrigger({ monitor, clock, slowRequestMs: 100, eventLoopDelayMs: 50, minIntervalMs: 1000, minBusyShare: 0, onProfile: (summary) => seen.push(summary.reason) });
    expect(trigger.available).toBe(true);
    trigger.observe('/fast', 'GET', 10);
    expect(profiles()).toBe(0);
    trigger.observe('/slow', 'GET', 150);
    trigger.observe('/slow', 'GET', 150);
    await new Promise((resolve) => setImmediate(resolve));
    expect(profiles()).toBe(1);
    expect(seen[0]).toMatch(/slow route GET \/slow: 150 ms/);
    expect(trigger.lastProfile?.topFunctions[0]?.functionName).toBe('hot');
    expect(trigger.lastProfile).not.toHaveProperty('profile');
    clock.advance(1000);
    setDelay(80);
    trigger.observe('/fast', 'GET', 10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(profiles()).toBe(2);
    expect(seen[1]).toMatch(/event loop blocked/);
  });

  it('skips a slow request that waited rather than ran, and profiles one that kept the loop busy', async () => {
    const clock = createFakeClock(0);
    const { monitor, profiles } = recordingMonitor();
    // Cumulative loop time, advanced by the test: the trigger judges a request by what the loop did meanwhile.
    const loop = { idle: 0, active: 0 };
    const reasons: string[] = [];
    const trigger = createProfileTrigger({
      monitor,
      clock,
      slowRequestMs: 1000,
      minIntervalMs: 0,
      eventLoopUtilization: () => ({ ...loop }),
      onProfile: (summary) => reasons.push(summary.reason),
    });
    // 1.5 s waiting on I/O: the loop was idle for 90 % of it.
    loop.idle += 1350;
    loop.active += 150;
    clock.advance(1500);
    trigger.observe('/waits', 'PUT', 1500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(profiles()).toBe(0);
    // 1.5 s during which the loop ran code 80 % of the time.
    loop.idle += 300;
    loop.active += 1200;
    clock.advance(1500);
    trigger.observe('/computes', 'GET', 1500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(profiles()).toBe(1);
    expect(reasons[0]).toMatch(/slow route GET \/computes/);
  });

  it('profiles every slow request with minBusyShare 0 and refuses a share outside 0–1', async () => {
    const { monitor, profiles } = recordingMonitor();
    const idle = { idle: 0, active: 0 };
    const trigger = createProfileTrigger({ monitor, slowRequestMs: 10, minBusyShare: 0, eventLoopUtilization: () => ((idle.idle += 100), { ...idle }) });
    trigger.observe('/waits', 'GET', 50);
    await new Promise((resolve) => setImmediate(resolve));
    expect(profiles()).toBe(1);
    expect(() => createProfileTrigger({ monitor, minBusyShare: 1.5 })).toThrow(/minBusyShare must be a number from 0 to 1/);
    expect(() => createProfileTrigger({ monitor, minBusyShare: Number.NaN })).toThrow(ConfigError);
  });

  it('does nothing without captureProfile', () => {
    const trigger = createProfileTrigger({ monitor: () => undefined });
    expect(trigger.available).toBe(false);
    expect(() => trigger.observe('/x', 'GET', 10_000)).not.toThrow();
  });
});
