import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import type { Alert } from '../contracts/findings.js';
import type { AlertRule } from '../contracts/monitor.js';
import { createPerformanceMonitor } from './performance-monitor.js';

/** A custom gauge rule with trigger 100 / recovery 80, the way the default rules apply hysteresis. */
function gaugeRule(read: () => number, forMs: number): AlertRule {
  return {
    id: 'queue', type: 'queue_depth', severity: 'warning', forMs,
    evaluate(_snapshot, active) {
      const value = read();
      const on = active.has('queue:depth') ? value > 80 : value > 100;
      return on ? [{ id: 'queue:depth', type: 'queue_depth', severity: 'warning', value, threshold: 100, message: `queue ${value}` }] : [];
    },
  };
}

function setup(forMs: number) {
  const clock = createFakeClock();
  const monitor = createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false });
  let depth = 0;
  monitor.addAlertRule(gaugeRule(() => depth, forMs));
  const fired: Alert[] = [];
  const resolved: Alert[] = [];
  monitor.on('alert', (alert) => fired.push(alert));
  monitor.on('alert:resolved', (alert) => resolved.push(alert));
  return { clock, monitor, fired, resolved, set: (value: number) => (depth = value) };
}

describe('alert engine', () => {
  it('goes pending, fires only after `for`, then resolves in the recovery band', async () => {
    const { clock, monitor, fired, resolved, set } = setup(30_000);
    set(150);
    await monitor.sample();
    expect(monitor.getAlerts({ active: true })).toMatchObject([{ id: 'queue:depth', state: 'pending' }]);
    expect(fired).toHaveLength(0);
    clock.advance(20_000);
    await monitor.sample();
    expect(fired).toHaveLength(0);
    clock.advance(10_000);
    await monitor.sample();
    expect(fired).toMatchObject([{ id: 'queue:depth', state: 'firing', value: 150 }]);
    // Below the trigger but above recovery: still firing, no duplicate event.
    set(90);
    clock.advance(10_000);
    await monitor.sample();
    expect(fired).toHaveLength(1);
    expect(monitor.getAlerts({ active: true })).toMatchObject([{ state: 'firing', value: 90 }]);
    set(70);
    clock.advance(10_000);
    await monitor.sample();
    expect(resolved).toMatchObject([{ id: 'queue:depth', state: 'resolved', resolvedAt: clock.now() }]);
    expect(monitor.getAlerts({ active: true })).toEqual([]);
    expect(monitor.getAlerts().map((a) => a.state)).toEqual(['resolved']);
    await monitor.close();
  });

  it('does not flap around the trigger threshold', async () => {
    const { clock, monitor, fired, resolved, set } = setup(0);
    for (const value of [101, 99, 102, 98, 101, 97, 103]) {
      set(value);
      await monitor.sample();
      clock.advance(5_000);
    }
    expect(fired).toHaveLength(1);
    expect(resolved).toHaveLength(0);
    await monitor.close();
  });

  it('drops a pending alert quietly when the condition clears before `for`', async () => {
    const { clock, monitor, fired, resolved, set } = setup(60_000);
    set(200);
    await monitor.sample();
    clock.advance(30_000);
    set(10);
    await monitor.sample();
    expect(fired).toHaveLength(0);
    expect(resolved).toHaveLength(0);
    expect(monitor.getAlerts()).toEqual([]);
    await monitor.close();
  });

  it('default rules: error rate, p95 per route and globally, connection reports', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false });
    for (let i = 0; i < 20; i++) monitor.trackEndpoint('/slow', 1500, i < 4 ? 500 : 200, 'GET');
    monitor.reportConnection('redis', false, 'ECONNREFUSED');
    await monitor.sample();
    const ids = monitor.getAlerts({ active: true }).map((a) => a.id).sort();
    expect(ids).toEqual(['connection:redis', 'error_rate:GET /slow', 'error_rate:global', 'response_time:GET /slow', 'response_time:global']);
    monitor.reportConnection('redis', true);
    clock.advance(120_000); // traffic left the window
    await monitor.sample();
    expect(monitor.getAlerts({ active: true })).toEqual([]);
    await monitor.close();
  });

  it('a throwing rule is logged and leaves the others working', async () => {
    const errors: unknown[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (o: unknown) => void errors.push(o) };
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false, defaultAlertRules: false, logger });
    monitor.addAlertRule({ id: 'broken', type: 'x', severity: 'info', evaluate: () => { throw new Error('bug'); } });
    monitor.addAlertRule({ id: 'ok', type: 'x', severity: 'info', evaluate: () => [{ id: 'ok:1', type: 'x', severity: 'info', value: 1, threshold: 0, message: 'on' }] });
    await monitor.sample();
    expect(errors).toHaveLength(1);
    expect(monitor.getAlerts({ active: true }).map((a) => a.id)).toEqual(['ok:1']);
    expect(monitor.removeAlertRule('ok')).toBe(true);
    expect(monitor.getAlerts({ active: true })).toEqual([]);
    await monitor.close();
  });
});
