import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from '../monitor/performance-monitor.js';
import type { Alert } from '../contracts/findings.js';
import { createAlertDelivery } from './alert-delivery.js';
import type { AlertSink } from './alert-sink.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('alert delivery queue', () => {
  const alert = (id: string, value = 1): Alert => ({ id, type: 'custom', severity: 'warning', state: 'firing', message: id, value, threshold: 0, startedAt: 1 });

  /** A sink whose receiver is down until `up` is set; records what it was sent. */
  function switchableSink() {
    const state = { up: false, sent: [] as string[] };
    const sink: AlertSink = {
      name: 'switchable',
      batchSize: 10,
      async send(events) {
        if (!state.up) throw new Error('receiver down');
        for (const event of events) state.sent.push(`${event.status} ${event.alert.id} ${event.alert.value}`);
      },
    };
    return { state, sink };
  }

  /** Only what delivery uses of a monitor, so the test can emit alert events in any order it needs. */
  function monitorEmitter() {
    const listeners: Record<string, Array<(alert: Alert) => void>> = { alert: [], 'alert:resolved': [] };
    const facade = {
      on: (event: 'alert' | 'alert:resolved', listener: (alert: Alert) => void) => (listeners[event]!.push(listener), facade),
      off: () => facade,
      getAlerts: () => [],
    };
    return { facade: facade as unknown as Parameters<typeof createAlertDelivery>[0]['monitor'], emit: (event: string, value: Alert) => listeners[event]!.forEach((l) => l(value)) };
  }

  it('holds at most maxQueue events through an outage, dropping the oldest, and sends the rest in order', async () => {
    const { state, sink } = switchableSink();
    const { facade, emit } = monitorEmitter();
    const clock = createFakeClock();
    const delivery = createAlertDelivery({ monitor: facade, sinks: [sink], maxQueue: 3, clock, retry: { initialDelayMs: 100, maxDelayMs: 100 }, random: () => 1 });
    cleanup.push(() => delivery.close());
    for (const id of ['a', 'b', 'c', 'd', 'e']) emit('alert', alert(id));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivery.stats()[0]).toMatchObject({ queued: 3, dropped: 2 });
    state.up = true;
    clock.advance(100);
    await delivery.flush(1000);
    expect(state.sent).toEqual(['firing c 1', 'firing d 1', 'firing e 1']);
  });

  it('coalesces repeated states of one alert while it waits, and a firing + resolved pair stays two events', async () => {
    const { state, sink } = switchableSink();
    const { facade, emit } = monitorEmitter();
    const clock = createFakeClock();
    const delivery = createAlertDelivery({ monitor: facade, sinks: [sink], clock, retry: { initialDelayMs: 100, maxDelayMs: 100 }, random: () => 1 });
    cleanup.push(() => delivery.close());
    emit('alert', alert('x', 1));
    emit('alert', alert('x', 2)); // same start: already known, not queued twice
    emit('alert:resolved', { ...alert('x', 3), state: 'resolved', resolvedAt: 5 });
    emit('alert', { ...alert('x', 4), startedAt: 9 }); // a new episode
    await new Promise((resolve) => setImmediate(resolve));
    state.up = true;
    clock.advance(100);
    await delivery.flush(1000);
    expect(state.sent).toEqual(['firing x 1', 'resolved x 3', 'firing x 4']);
  });

  it('gives up after maxAttempts and counts the events as failed', async () => {
    const { sink } = switchableSink();
    const { facade, emit } = monitorEmitter();
    const clock = createFakeClock();
    const delivery = createAlertDelivery({ monitor: facade, sinks: [sink], clock, retry: { initialDelayMs: 10, maxDelayMs: 10, maxAttempts: 3 }, random: () => 0 });
    cleanup.push(() => delivery.close());
    emit('alert', alert('y'));
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(10);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivery.stats()[0]).toMatchObject({ failed: 1, retries: 2, queued: 0 });
  });
});

describe('alert delivery lifecycle', () => {
  const firingAlert = (id: string): Alert => ({ id, type: 'custom', severity: 'critical', state: 'firing', message: id, value: 2, threshold: 1, startedAt: 100 });

  it('re-sends firing alerts every resendIntervalMs to sinks that ask for it, and stops once they resolve', async () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false, clock: createFakeClock() });
    cleanup.push(() => monitor.close());
    let firing = true;
    monitor.use({ name: 'switch', analyze: () => ({ alerts: firing ? [{ ...firingAlert('custom:x'), message: 'x' }] : [] }) });
    const sent: string[] = [];
    const clock = createFakeClock();
    const resending: AlertSink = { name: 'resending', batchSize: 10, resendIntervalMs: 1000, send: async (events) => void sent.push(...events.map((e) => `${e.status} ${e.alert.id}`)) };
    const once: string[] = [];
    const plain: AlertSink = { name: 'plain', batchSize: 10, send: async (events) => void once.push(...events.map((e) => `${e.status} ${e.alert.id}`)) };
    const delivery = createAlertDelivery({ monitor, sinks: [resending, plain], clock });
    cleanup.push(() => delivery.close());

    await monitor.sample();
    await delivery.flush(1000);
    clock.advance(1000);
    await delivery.flush(1000);
    clock.advance(1000);
    await delivery.flush(1000);
    expect(sent).toEqual(['firing custom:x', 'firing custom:x', 'firing custom:x']);
    firing = false;
    await monitor.sample();
    await delivery.flush(1000);
    clock.advance(3000);
    await delivery.flush(1000);
    expect(sent.slice(3)).toEqual(['resolved custom:x']);
    expect(once).toEqual(['firing custom:x', 'resolved custom:x']);
  });

  it('delivers alerts already firing when it starts, and stops listening on close', async () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false, clock: createFakeClock() });
    cleanup.push(() => monitor.close());
    let firing = true;
    monitor.use({ name: 'switch', analyze: () => ({ alerts: firing ? [{ ...firingAlert('custom:y'), message: 'y' }] : [] }) });
    await monitor.sample();
    const sent: string[] = [];
    const sink: AlertSink = { name: 'recording', batchSize: 10, send: async (events) => void sent.push(...events.map((e) => `${e.status} ${e.alert.id}`)) };
    const delivery = createAlertDelivery({ monitor, sinks: [sink] });
    expect(await delivery.flush(1000)).toBe(true);
    expect(sent).toEqual(['firing custom:y']);
    await delivery.close();
    firing = false;
    await monitor.sample();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['firing custom:y']);
  });
});
