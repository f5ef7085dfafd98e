import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from './performance-monitor.js';
import { defaultMapping } from './quantile-sketch.js';
import { MINUTE_MS, RollingWindow, SLOT_MS, WindowView } from './rolling-window.js';

const record = (window: RollingWindow, slot: number, ms: number, error = false) =>
  window.record(slot, defaultMapping.index(ms), ms, error ? 4 : 1, error);

describe('RollingWindow', () => {
  it('drops requests older than the range from the current view but keeps them in longer views', () => {
    const window = new RollingWindow(defaultMapping);
    const start = 1_000_000;
    record(window, start, 100, true);
    record(window, start + 1, 200);
    const view = new WindowView(defaultMapping);
    expect(window.collect(start + 5, MINUTE_MS, view).sketch.count).toBe(2);
    // 70 s later: out of the last minute, still in the last 5 minutes (folded into a minute sketch on reuse).
    for (let slot = start + 2; slot <= start + 7; slot++) record(window, slot, 1);
    view.reset();
    const minute = window.collect(start + 7, MINUTE_MS, view);
    expect(minute.sketch.count).toBe(6);
    expect(minute.errors).toBe(0);
    view.reset();
    const fiveMinutes = window.collect(start + 7, 5 * MINUTE_MS, view);
    expect(fiveMinutes.sketch.count).toBe(8);
    expect(fiveMinutes.errors).toBe(1);
    expect(fiveMinutes.sketch.max).toBe(200);
  });

  it('keeps an hour at minute resolution and forgets what is older', () => {
    const window = new RollingWindow(defaultMapping);
    const slotsPerMinute = MINUTE_MS / SLOT_MS;
    const start = 6_000_000; // a multiple of 6: slot 0 of a minute
    for (let minute = 0; minute < 90; minute++) record(window, start + minute * slotsPerMinute, minute + 1);
    const now = start + 89 * slotsPerMinute;
    const hour = window.collect(now, 60 * MINUTE_MS, new WindowView(defaultMapping));
    expect(hour.sketch.count).toBe(60);
    expect(hour.sketch.min).toBe(31);
    expect(hour.sketch.max).toBe(90);
  });
});

describe('monitor windows with an injected clock', () => {
  it('current figures describe the last minute and roll over as time passes', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false });
    for (let i = 0; i < 30; i++) monitor.trackEndpoint('/api/items/:id', 10 + i, 200, 'GET');
    clock.advance(25_000);
    for (let i = 0; i < 10; i++) monitor.trackEndpoint('/api/items/:id', 900, 500, 'GET');
    let snapshot = monitor.getCurrentMetrics();
    expect(snapshot.requestCount).toBe(40);
    expect(snapshot.errorCount).toBe(10);
    expect(snapshot.errorRate).toBeCloseTo(0.25);
    expect(snapshot.endpoints[0]).toMatchObject({ route: '/api/items/:id', method: 'GET', count: 40, errors: 10, statusClasses: { '2xx': 30, '5xx': 10 } });
    // 25 s after start, so the rate is over 25 s, not a full minute.
    expect(snapshot.requestsPerSecond).toBeCloseTo(40 / 25, 5);

    clock.advance(40_000); // the first 30 requests are now 65 s old
    snapshot = monitor.getCurrentMetrics();
    expect(snapshot.requestCount).toBe(10);
    expect(snapshot.responseTime.p50).toBeCloseTo(900, -1);
    expect(snapshot.requestsPerSecond).toBeCloseTo(10 / 60, 5);

    clock.advance(60_000);
    snapshot = monitor.getCurrentMetrics();
    expect(snapshot.requestCount).toBe(0);
    expect(snapshot.endpoints).toEqual([]);
    await monitor.close();
  });

  it('longer views (5 min, 1 h) read the minute sketches', async () => {
    const clock = createFakeClock(1_699_999_980_000); // on a minute boundary
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false });
    for (let minute = 0; minute < 10; minute++) {
      monitor.trackEndpoint('/a', 100 + minute, minute === 0 ? 500 : 200, 'GET');
      clock.advance(60_000);
    }
    expect(monitor.getCurrentMetrics().requestCount).toBe(0);
    const five = monitor.getCurrentMetrics({ windowMs: 5 * 60_000 });
    expect(five.windowMs).toBe(300_000);
    // Whole minutes inside the range: minutes 6–9 and the current (empty) one; minute 5 starts outside it.
    expect(five.requestCount).toBe(4);
    expect(five.responseTime.min).toBe(106);
    expect(five.requestsPerSecond).toBeCloseTo(4 / 300, 6);
    const hour = monitor.getCurrentMetrics({ windowMs: 3_600_000 });
    expect(hour).toMatchObject({ requestCount: 10, errorCount: 1 });
    expect(hour.endpoints[0]).toMatchObject({ route: '/a', count: 10, errors: 1 });
    expect(() => monitor.getCurrentMetrics({ windowMs: 2 * 3_600_000 })).toThrow(/windowMs must be between/);
    await monitor.close();
  });

  it('records with the cached clock while running and still rolls over', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, interval: 10_000 });
    monitor.start();
    monitor.trackEndpoint('/a', 5, 200);
    clock.advance(70_000);
    monitor.trackEndpoint('/a', 7, 200);
    expect(monitor.getCurrentMetrics().requestCount).toBe(1);
    await monitor.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});
