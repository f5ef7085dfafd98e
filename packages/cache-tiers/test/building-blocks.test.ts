import { describe, expect, it } from 'vitest';
import { createCodec, jsonSerializer } from '../src/serializer.js';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createCircuitBreaker, type CircuitState } from '../src/circuit-breaker.js';
import { createSingleFlight } from '../src/single-flight.js';

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
