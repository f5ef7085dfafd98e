import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import type { LoadSignal } from '../contracts/metrics.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import type { RateLimitDecision } from '../contracts/rate-limit.js';
import { createAdaptiveLimit } from './adaptive-limit.js';
import { createMemoryRateLimitStore } from './memory-rate-limit-store.js';
import { createRateLimiter, isExemptPath } from './rate-limiter.js';

const calm: LoadSignal = { timestamp: 0, eventLoopDelayP99: 5, latencyP99: 50, errorRate: 0, healthScore: 95, heapUsagePercent: 30, inFlight: 1 };

describe('memory sliding-window store', () => {
  it('weights the previous window by its overlap (Cloudflare)', async () => {
    const clock = createFakeClock(0);
    const store = createMemoryRateLimitStore({ clock });
    for (let hit = 0; hit < 10; hit++) await store.increment('k', 1000);
    expect((await store.increment('k', 1000)).count).toBe(11);
    clock.advance(1250); // 25 % into the next window: 75 % of the previous 11 still count
    const hit = await store.increment('k', 1000);
    expect(hit.count).toBeCloseTo(11 * 0.75 + 1, 6);
    expect(hit.resetInMs).toBe(750);
    clock.advance(2000); // two windows later nothing remains
    expect((await store.increment('k', 1000)).count).toBeCloseTo(1, 6);
    await store.close();
  });

  it('keeps keys and windows apart, decrements and resets', async () => {
    const clock = createFakeClock(0);
    const store = createMemoryRateLimitStore({ clock });
    await store.increment('a', 1000);
    await store.increment('a', 1000);
    expect((await store.increment('b', 1000)).count).toBe(1);
    expect((await store.increment('a', 5000)).count).toBe(1);
    await store.decrement('a', 1000);
    expect((await store.increment('a', 1000)).count).toBe(2);
    await store.reset('a');
    expect((await store.increment('a', 1000)).count).toBe(1);
    expect((await store.increment('a', 5000)).count).toBe(1);
    await store.close();
  });

  it('bounds memory: idle keys expire and at most maxKeys are held', async () => {
    const clock = createFakeClock(0);
    const store = createMemoryRateLimitStore({ clock, maxKeys: 3, sweepIntervalMs: 1000 });
    for (const key of ['a', 'b', 'c', 'd']) await store.increment(key, 1000);
    expect(store.size).toBe(3);
    expect((await store.increment('a', 1000)).count).toBe(1); // 'a' was evicted first
    clock.advance(3000);
    expect(store.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await store.close();
  });

  it('rejects a bad window', async () => {
    const store = createMemoryRateLimitStore();
    await expect(store.increment('k', 0)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await store.close();
  });
});

describe('adaptive limit (AIMD with hysteresis)', () => {
  it('shrinks multiplicatively under stress, holds between the bands, recovers additively', () => {
    const clock = createFakeClock(0);
    let signal: LoadSignal = calm;
    const adaptive = createAdaptiveLimit({ clock, loadSignal: () => signal, minDwellMs: 3000, evaluateIntervalMs: 1000, decreaseFactor: 0.5, increaseStep: 0.25 });
    expect(adaptive.limit(100)).toBe(100);
    signal = { ...calm, eventLoopDelayP99: 250 };
    clock.advance(1000);
    expect(adaptive.limit(100)).toBe(50);
    expect(adaptive.state).toBe('stressed');
    expect(adaptive.reasons).toEqual(['eventLoopDelayP99']);
    clock.advance(1000);
    expect(adaptive.limit(100)).toBe(25);
    // Between exit (100) and enter (200): still stressed — hysteresis.
    signal = { ...calm, eventLoopDelayP99: 150 };
    clock.advance(1000);
    expect(adaptive.limit(100)).toBe(12);
    clock.advance(1000);
    expect(adaptive.limit(100)).toBe(10); // floor at minFactor 0.1
    signal = calm;
    clock.advance(1000);
    expect(adaptive.state).toBe('stressed');
    expect(adaptive.limit(100)).toBe(35); // calm → additive increase
    expect(adaptive.state).toBe('normal');
    for (let step = 0; step < 5; step++) {
      clock.advance(1000);
      adaptive.factor();
    }
    expect(adaptive.limit(100)).toBe(100);
  });

  it('respects the minimum dwell time before leaving a state', () => {
    const clock = createFakeClock(0);
    let signal: LoadSignal = { ...calm, healthScore: 30 };
    const adaptive = createAdaptiveLimit({ clock, loadSignal: () => signal, minDwellMs: 10_000, evaluateIntervalMs: 1000 });
    adaptive.factor();
    expect(adaptive.state).toBe('stressed');
    signal = calm;
    clock.advance(1000);
    adaptive.factor();
    expect(adaptive.state).toBe('stressed');
    clock.advance(9000);
    adaptive.factor();
    expect(adaptive.state).toBe('normal');
  });

  it('validates its bands', () => {
    expect(() => createAdaptiveLimit({ loadSignal: () => calm, errorRate: { enter: 0.1, exit: 0.2 } })).toThrow(/exit <= enter/);
    expect(() => createAdaptiveLimit({ loadSignal: () => calm, healthScore: { enter: 70, exit: 50 } })).toThrow(/exit >= enter/);
  });
});

describe('rate limiter', () => {
  function recordingMonitor(signal: () => LoadSignal) {
    const decisions: RateLimitDecision[] = [];
    const monitor = { recordRateLimit: (decision: RateLimitDecision) => decisions.push(decision), getLoadSignal: signal } as unknown as PerformanceMonitor;
    return { monitor, decisions };
  }

  it('allows up to max, then 429s with headers and a JSON body; counts every decision', async () => {
    const clock = createFakeClock(0);
    const { monitor, decisions } = recordingMonitor(() => calm);
    const limiter = createRateLimiter({ max: 2, windowMs: 10_000, clock, monitor });
    const first = await limiter.check({ key: 'ip:1', path: '/x', route: '/x' });
    expect(first).toMatchObject({ allowed: true, headers: { 'RateLimit-Limit': '2', 'RateLimit-Remaining': '1', 'RateLimit-Reset': '10' } });
    await limiter.check({ key: 'ip:1', path: '/x' });
    clock.advance(4000);
    const third = await limiter.check({ key: 'ip:1', path: '/x' });
    expect(third.statusCode).toBe(429);
    expect(third.headers).toMatchObject({ 'Retry-After': '6', 'RateLimit-Remaining': '0' });
    expect(third.body?.error.code).toBe('E_RATE_LIMITED');
    expect((await limiter.check({ key: 'ip:2', path: '/x' })).allowed).toBe(true);
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false, true]);
    expect(decisions[2]).toMatchObject({ reason: 'limited', key: 'ip:1', limit: 2 });
    await limiter.close();
  });

  it('exempts health and metrics paths without counting', async () => {
    const { monitor, decisions } = recordingMonitor(() => calm);
    const limiter = createRateLimiter({ max: 1, monitor });
    for (let index = 0; index < 3; index++) expect((await limiter.check({ key: 'k', path: '/health' })).exempt).toBe(true);
    expect((await limiter.check({ key: 'k', path: '/metrics' })).allowed).toBe(true);
    expect(decisions).toHaveLength(0);
    expect(isExemptPath('/healthcheck', ['/health'])).toBe(false);
    expect(isExemptPath('/health/live', ['/health'])).toBe(true);
    await limiter.close();
  });

  it('sheds beyond the concurrency limit with 503 and frees slots on release', async () => {
    const { monitor, decisions } = recordingMonitor(() => calm);
    const limiter = createRateLimiter({ max: 100, concurrency: { max: 1, retryAfterSeconds: 2 }, monitor });
    const first = await limiter.check({ key: 'k', path: '/x' });
    const second = await limiter.check({ key: 'k', path: '/x' });
    expect(second).toMatchObject({ allowed: false, statusCode: 503, headers: { 'Retry-After': '2' } });
    expect(second.body?.error.code).toBe('E_OVERLOADED');
    first.release();
    first.release();
    expect(limiter.concurrency?.inFlight).toBe(0);
    expect((await limiter.check({ key: 'k', path: '/x' })).allowed).toBe(true);
    expect(decisions.filter((decision) => decision.reason === 'shed')).toHaveLength(1);
    await limiter.close();
  });

  it('applies the adaptive factor to the limit under stress', async () => {
    const clock = createFakeClock(0);
    let signal = calm;
    const limiter = createRateLimiter({ max: 10, windowMs: 60_000, clock, adaptive: { minDwellMs: 0 }, loadSignal: () => signal });
    expect(limiter.effectiveLimit()).toBe(10);
    signal = { ...calm, errorRate: 0.5 };
    clock.advance(1000);
    expect(limiter.effectiveLimit()).toBe(5);
    const outcomes = [];
    for (let index = 0; index < 6; index++) outcomes.push(await limiter.check({ key: 'k', path: '/x' }));
    expect(outcomes.map((outcome) => outcome.allowed)).toEqual([true, true, true, true, true, false]);
    expect(outcomes[5]?.headers['RateLimit-Limit']).toBe('5');
    await limiter.close();
  });

  it('keeps scoped (per-route) counters apart from the global one', async () => {
    const limiter = createRateLimiter({ max: 1 });
    expect((await limiter.check({ key: 'k', path: '/a' })).allowed).toBe(true);
    expect((await limiter.check({ key: 'k', path: '/b', scope: 'GET /b', max: 1 })).allowed).toBe(true);
    expect((await limiter.check({ key: 'k', path: '/b', scope: 'GET /b', max: 1 })).allowed).toBe(false);
    expect((await limiter.check({ key: 'k', path: '/a' })).allowed).toBe(false);
    await limiter.reset('k');
    expect((await limiter.check({ key: 'k', path: '/a' })).allowed).toBe(true);
    await limiter.close();
  });

  it('fails open (or closed) when the store throws', async () => {
    const broken = { increment: () => Promise.reject(new Error('down')), reset: async () => {} };
    expect((await createRateLimiter({ store: broken }).check({ key: 'k', path: '/x' })).allowed).toBe(true);
    expect((await createRateLimiter({ store: broken, failOpen: false }).check({ key: 'k', path: '/x' })).statusCode).toBe(503);
  });

  it('warns about a failing store once per 10 s, not once per request', async () => {
    const clock = createFakeClock(0);
    const warnings: Array<Record<string, unknown>> = [];
    const logger = { debug() {}, info() {}, warn: (fields: unknown) => void warnings.push(fields as Record<string, unknown>), error() {} };
    const broken = { increment: () => Promise.reject(new Error('down')), reset: async () => {} };
    const limiter = createRateLimiter({ store: broken, clock, logger });
    for (let i = 0; i < 50; i++) expect((await limiter.check({ key: 'k', path: '/x' })).allowed).toBe(true);
    expect(warnings).toHaveLength(1);
    clock.advance(10_000);
    await limiter.check({ key: 'k', path: '/x' });
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ failuresSinceLastWarning: 49 });
  });

  it('rejects bad options with a typed error', () => {
    expect(() => createRateLimiter({ max: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => createRateLimiter({ windowMs: -1 })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});
