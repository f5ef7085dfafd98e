import { describe, expect, it } from 'vitest';
import { createCodec, jsonSerializer } from '../src/serializer.js';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createCircuitBreaker, type CircuitState } from '../src/circuit-breaker.js';
import { createSingleFlight } from '../src/single-flight.js';
import { createRemoteTier } from '../src/cache/remote-tier.js';
import { createFillGuard } from '../src/cache/fill-guard.js';
import { createHookRegistry } from '../src/cache/hooks.js';
import { createMemoryTier } from '../src/l1/index.js';
import type { CacheTier } from '../src/tier.js';

describe('circuit breaker', () => {
  it('opens after consecutive failures, probes once when half-open, and closes on success', () => {
    const clock = createFakeClock();
    const changes: string[] = [];
    const breaker = createCircuitBreaker({ clock, failureThreshold: 3, resetTimeout: 1000, onStateChange: (state: CircuitState, previous: CircuitState) => changes.push(`${previous}->${state}`) });
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    breaker.success(); // a success resets the count
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    clock.advance(999);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.allow()).toBe(true); // the probe
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(false); // only one probe at a time
    breaker.failure();
    expect(breaker.state).toBe('open');
    clock.advance(1000);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.failures).toBe(5);
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
  });

  it('validates its options', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(TypeError);
    expect(() => createCircuitBreaker({ resetTimeout: -1 })).toThrow(TypeError);
  });
});

describe('single flight', () => {
  it('shares one call per key, and a synchronous throw does not poison the key', async () => {
    const flights = createSingleFlight();
    let runs = 0;
    const first = flights.run('k', async () => ++runs);
    const second = flights.run('k', async () => ++runs);
    expect(second.shared).toBe(true);
    expect(await Promise.all([first.promise, second.promise])).toEqual([1, 1]);
    expect(flights.inFlight).toBe(0);
    const failing = flights.run('k', () => {
      throw new Error('sync');
    });
    await expect(failing.promise).rejects.toThrow('sync');
    expect(flights.inFlight).toBe(0);
    expect(await flights.run('k', async () => 'again').promise).toBe('again');
  });
});

describe('serializer and codec', () => {
  it('JSON: Date becomes its ISO string; Map, Set, BigInt, functions, symbols and cycles are refused', () => {
    expect(JSON.parse(jsonSerializer.serialize({ at: new Date(0) }) as string)).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [new Map(), new Set([1]), 1n, { deep: [2n] }, () => 1, { f: () => 1 }, Symbol('s'), cyclic, undefined]) {
      expect(() => jsonSerializer.serialize(value)).toThrow(expect.objectContaining({ code: 'E_UNSERIALIZABLE_VALUE', name: 'ValidationError' }));
    }
  });

  it('compresses above the threshold with a marker byte, and round-trips both forms', () => {
    const codec = createCodec({ compressionThreshold: 100 });
    const small = codec.encode({ a: 1 });
    const large = codec.encode({ text: 'abc'.repeat(1000) });
    expect(small[0]).toBe(0);
    expect(large[0]).toBe(1);
    expect(large.length).toBeLessThan(200);
    expect(codec.decode(small)).toEqual({ a: 1 });
    expect(codec.decode(large)).toEqual({ text: 'abc'.repeat(1000) });
    expect(() => codec.decode(Buffer.from([9, 1]))).toThrow(/marker/);
  });

  it('accepts a pluggable serializer (bytes)', () => {
    const codec = createCodec({
      serializer: { serialize: (value) => new TextEncoder().encode(String(value)), deserialize: (data) => `<${data.toString()}>` },
      compressionThreshold: false,
    });
    expect(codec.decode(codec.encode('x'.repeat(5000)))).toBe(`<${'x'.repeat(5000)}>`);
  });
});

describe('remote tier calls', () => {
  /** A tier whose reads hang until released by hand. */
  function hangingTier() {
    const releases: Array<() => void> = [];
    const tier = createMemoryTier({ name: 'l3', purgeIntervalMs: 0 }) as CacheTier;
    const hanging: CacheTier = {
      ...tier,
      name: 'l3',
      get: () => new Promise((resolve) => releases.push(() => resolve(undefined))),
    };
    return { hanging, releases };
  }

  it('times each call out at its own deadline with one shared timer, and a late answer is ignored', async () => {
    const clock = createFakeClock();
    const errors: unknown[] = [];
    const { hanging, releases } = hangingTier();
    const slot = createRemoteTier(hanging, { owned: false, clock, commandTimeout: 100, failureThreshold: 10, resetTimeout: 1000, onError: (_, error) => errors.push(error), onDown() {}, onUp() {} });
    const settled: string[] = [];
    const first = slot.call((tier) => tier.get('a')).then((result) => settled.push(`first:${result.ok}`));
    clock.advance(60);
    const second = slot.call((tier) => tier.get('b')).then((result) => settled.push(`second:${result.ok}`));
    const third = slot.call(async () => 'quick').then((result) => settled.push(`third:${result.ok}`));
    await third;
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(40); // first passes its deadline (100 ms), second has 60 ms left
    await first;
    expect(settled).toEqual(['third:true', 'first:false']);
    releases[0]!(); // the first read answers after its timeout: ignored
    clock.advance(59);
    await Promise.resolve();
    expect(settled).toHaveLength(2);
    clock.advance(1);
    await second;
    expect(settled).toEqual(['third:true', 'first:false', 'second:false']);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'E_CACHE_L3_UNAVAILABLE' });
    expect(clock.pendingTimers()).toBe(0);
    expect(slot.breaker.failures).toBe(2);
  });

  it('lets settled calls go at once: only unanswered calls are held until their deadline', async () => {
    const clock = createFakeClock();
    const { hanging, releases } = hangingTier();
    const slot = createRemoteTier(hanging, { owned: false, clock, commandTimeout: 100, failureThreshold: 10, resetTimeout: 1000, onError() {}, onDown() {}, onUp() {} });
    const slow = slot.call((tier) => tier.get('slow'));
    await Promise.all(Array.from({ length: 1000 }, (_, index) => slot.call(async () => index)));
    expect(slot.inFlight).toBe(1);
    releases[0]!();
    expect(await slow).toEqual({ ok: true, value: undefined });
    expect(slot.inFlight).toBe(0);
    clock.advance(100); // the shared timer fires with nothing left to time out
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a synchronous throw in the operation counts as a failed call', async () => {
    const clock = createFakeClock();
    const { hanging } = hangingTier();
    const slot = createRemoteTier(hanging, { owned: false, clock, commandTimeout: 100, failureThreshold: 10, resetTimeout: 1000, onError() {}, onDown() {}, onUp() {} });
    expect(
      await slot.call(() => {
        throw new Error('boom');
      }),
    ).toEqual({ ok: false });
    expect(slot.breaker.failures).toBe(1);
  });
});

describe('fill guard and hooks', () => {
  it('the fill guard refuses fills begun before a mark of their key, tag or everything, and forgets safely', () => {
    const guard = createFillGuard(2, () => 0);
    const early = guard.token();
    guard.markKey('a');
    expect(guard.allows(early, 'a', [])).toBe(false);
    expect(guard.allows(early, 'b', [])).toBe(true);
    const afterA = guard.token();
    expect(guard.allows(afterA, 'a', [])).toBe(true);
    guard.markTag('t');
    expect(guard.allows(afterA, 'b', ['t'])).toBe(false);
    expect(guard.allows(afterA, 'b', ['u'])).toBe(true);
    guard.markKey('b');
    guard.markKey('c'); // 'a' is forgotten (bound 2): fills begun before its mark are refused for every key
    expect(guard.allows(early, 'z', [])).toBe(false);
    expect(guard.allows(afterA, 'z', [])).toBe(true);
    const beforeAll = guard.token();
    guard.markAll();
    expect(guard.allows(beforeAll, 'z', [])).toBe(false);
    expect(guard.allows(guard.token(), 'z', ['t'])).toBe(true);
  });

  it('a held key or tag takes no fill, whenever it began; releasing refuses the fills begun during the hold', () => {
    let now = 0;
    const guard = createFillGuard(10, () => now);
    guard.hold('w1', { tag: 't' }, 100);
    const during = guard.token();
    expect(guard.allows(during, 'k', ['t'])).toBe(false);
    expect(guard.allows(during, 'k', ['u'])).toBe(true);
    guard.release('w1');
    expect(guard.allows(during, 'k', ['t'])).toBe(false);
    expect(guard.allows(guard.token(), 'k', ['t'])).toBe(true);
    // A hold whose release never comes ends at its deadline, and still refuses what began under it.
    guard.hold('w2', { key: 'k' }, 50);
    const underHold = guard.token();
    now = 60;
    expect(guard.allows(underHold, 'k', [])).toBe(false);
    expect(guard.allows(guard.token(), 'k', [])).toBe(true);
    guard.hold('w3', {}, 100);
    expect(guard.allows(guard.token(), 'any', [])).toBe(false);
  });

  it('counts handlers per event, so events nobody handles are not built', () => {
    const hooks = createHookRegistry(() => {});
    const seen: string[] = [];
    expect(hooks.has('access')).toBe(false);
    const remove = hooks.add({ access: (event) => void seen.push(event.key) });
    hooks.add({ load: () => {} });
    expect(hooks.has('access')).toBe(true);
    expect(hooks.listening.tierAccess).toBe(0);
    hooks.emit('access', { key: 'k', hit: true, tier: 'l1' });
    remove();
    remove();
    expect(hooks.listening.access).toBe(0);
    expect(hooks.has('load')).toBe(true);
    hooks.emit('access', { key: 'k2', hit: true, tier: 'l1' });
    expect(seen).toEqual(['k']);
  });
});
