import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createMemoryTier } from '../src/l1/index.js';
import type { CacheEntry } from '../src/tier.js';

const START = 1_700_000_000_000;
const TAGS = ['a', 'b', 'c'] as const;

function entry<T>(value: T, extra: Partial<CacheEntry<T>> = {}): CacheEntry<T> {
  return { value, createdAt: START, expiresAt: START + 60_000, staleUntil: START + 120_000, tags: [], ...extra };
}

type Operation =
  | { kind: 'set'; key: number; value: number; ttl: number; grace: number; tags: Array<(typeof TAGS)[number]>; priority: 'low' | 'high' | undefined }
  | { kind: 'get' | 'delete' | 'deleteExpected' | 'deleteOther'; key: number }
  | { kind: 'deleteByTag'; tag: (typeof TAGS)[number] }
  | { kind: 'advance'; ms: number }
  | { kind: 'purge' | 'clear' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(40), value: fc.integer(), ttl: fc.integer({ min: 1, max: 5000 }), grace: fc.nat(5000), tags: fc.subarray([...TAGS]), priority: fc.constantFrom('low' as const, 'high' as const, undefined) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('get' as const, 'delete' as const, 'deleteExpected' as const, 'deleteOther' as const), key: fc.nat(40) }) },
  fc.record({ kind: fc.constant('deleteByTag' as const), tag: fc.constantFrom(...TAGS) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(3000) }),
  fc.record({ kind: fc.constantFrom('purge' as const, 'clear' as const) }),
);

describe('L1 slot layout', () => {
  it('agrees with a Map model under random sets, reads, deletes, tag deletes, expiry, purges and clears', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 300 }), async (operations) => {
        const clock = createFakeClock(START);
        const tier = createMemoryTier({ clock, maxSize: 1000, maxMemory: Infinity, purgeIntervalMs: 0 });
        const model = new Map<string, CacheEntry>();
        const live = (held: CacheEntry) => held.staleUntil > clock.now();
        for (const step of operations) {
          const key = 'key' in step ? `k${step.key}` : '';
          switch (step.kind) {
            case 'set': {
              const now = clock.now();
              const written = entry(step.value, { createdAt: now, expiresAt: now + step.ttl, staleUntil: now + step.ttl + step.grace, tags: step.tags, ...(step.priority ? { priority: step.priority } : {}) });
              tier.setSync(key, written);
              model.set(key, written);
              break;
            }
            case 'get': {
              const held = model.get(key);
              const read = tier.getSync(key);
              if (held !== undefined && !live(held)) model.delete(key);
              if (held === undefined || !live(held)) expect(read).toBeUndefined();
              else expect(read).toEqual(held);
              break;
            }
            case 'delete': {
              const held = model.get(key);
              expect(tier.deleteSync(key)).toBe(held !== undefined && live(held));
              model.delete(key);
              break;
            }
            case 'deleteExpected': {
              // The entry this key was last written with: deleted exactly when it is still the one held.
              const held = model.get(key);
              if (held === undefined) break;
              expect(tier.deleteSync(key, held)).toBe(live(held));
              model.delete(key);
              break;
            }
            case 'deleteOther': {
              const held = model.get(key);
              expect(tier.deleteSync(key, entry({ other: true }))).toBe(false);
              expect(tier.size).toBe(model.size);
              if (held !== undefined) expect(tier.peekSync(key)?.value ?? 'gone').toBe(live(held) ? held.value : 'gone');
              break;
            }
            case 'deleteByTag': {
              const tagged = [...model].filter(([, held]) => held.tags.includes(step.tag)).map(([name]) => name);
              expect(await tier.deleteByTag(step.tag)).toBe(tagged.length);
              for (const name of tagged) model.delete(name);
              break;
            }
            case 'advance':
              clock.advance(step.ms);
              break;
            case 'purge': {
              const stale = [...model].filter(([, held]) => !live(held)).map(([name]) => name);
              expect(tier.purgeExpired()).toBe(stale.length);
              for (const name of stale) model.delete(name);
              break;
            }
            case 'clear':
              await tier.clear();
              model.clear();
              break;
          }
          expect(tier.size).toBe(model.size);
        }
        expect([...tier.keys()].sort()).toEqual([...model.keys()].sort());
        if (model.size === 0) expect(tier.memoryBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reads are built from what was written, not the written object, and follow every later write of the slot', () => {
    const tier = createMemoryTier({ clock: createFakeClock(START) });
    const written = entry({ n: 1 }, { tags: ['t'], priority: 'high' });
    tier.setSync('k', written);
    written.expiresAt = 0;
    const read = tier.getSync('k')!;
    expect(read).toEqual({ ...written, expiresAt: START + 60_000 });
    expect(read).not.toBe(written);
    expect(read.value).toBe(written.value);
    // A hot slot's entry is reused between reads of the same write, and replaced as soon as the slot changes.
    expect(tier.getSync('k')).toBe(read);
    tier.setSync('k', entry('second'));
    expect(tier.getSync('k')).toMatchObject({ value: 'second', tags: [] });
    tier.deleteSync('k');
    tier.setSync('other', entry('third'));
    expect(tier.getSync('k')).toBeUndefined();
    expect(tier.getSync('other')?.value).toBe('third');
    // Entries without tags share one frozen empty list.
    expect(Object.isFrozen(tier.getSync('other')?.tags)).toBe(true);
  });

  it('keeps no reference to the CacheEntry object it was given (only its value)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const tier = createMemoryTier({ clock: createFakeClock(START) });
    const value = { kept: true };
    let reference: WeakRef<CacheEntry> | undefined;
    (() => {
      const written = entry(value, { tags: ['t'] });
      reference = new WeakRef(written);
      tier.setSync('k', written);
    })();
    // A WeakRef's target survives until the current job ends (ECMA-262 KeepDuringJob): collect after a turn.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(reference?.deref()).toBeUndefined();
    expect(tier.getSync('k')?.value).toBe(value);
  });

  it('grows past its initial slots, reuses freed slots, and starts small again after clear', async () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock, maxSize: 5000, maxMemory: Infinity });
    for (let index = 0; index < 5000; index++) tier.setSync(`k${index}`, entry(index));
    for (let index = 0; index < 5000; index += 2) tier.deleteSync(`k${index}`);
    for (let index = 0; index < 2500; index++) tier.setSync(`n${index}`, entry(-index));
    expect(tier.size).toBe(5000);
    expect(tier.getSync('k4999')?.value).toBe(4999);
    expect(tier.getSync('n2499')?.value).toBe(-2499);
    expect(tier.evictions).toBe(0);
    await tier.clear();
    expect(tier.size).toBe(0);
    expect(tier.memoryBytes).toBe(0);
    tier.setSync('again', entry('yes'));
    expect(tier.getSync('again')?.value).toBe('yes');
  });

  it('holds exactly maxSize entries at capacity and evicts the least recently used one', () => {
    const evicted: string[] = [];
    const tier = createMemoryTier({ clock: createFakeClock(START), maxSize: 100, onEvict: (key, reason, held) => evicted.push(`${key}:${reason}:${String(held.value)}`) });
    for (let index = 0; index < 100; index++) tier.setSync(`k${index}`, entry(index));
    tier.getSync('k0');
    tier.setSync('new', entry('n'));
    expect(tier.size).toBe(100);
    expect(evicted).toEqual(['k1:capacity:1']);
    expect(tier.getSync('k0')?.value).toBe(0);
  });
});
