import type { WorkshopInput, WorkshopRepository } from './workshop-repository.js';

const TOPICS = [
  ['Node.js performance profiling', 'Find hot functions with CPU profiles and flame graphs, then fix them.', ['node', 'performance']],
  ['Caching strategies that hold up', 'Memory, Redis and SQL tiers; TTLs, tags and stampede protection.', ['cache', 'redis']],
  ['PostgreSQL query tuning', 'Read EXPLAIN ANALYZE, pick indexes and stop N+1 queries.', ['sql', 'postgres']],
  ['Observability with Prometheus', 'Histograms, RED metrics, alert rules that do not page at night.', ['metrics', 'prometheus']],
  ['Fastify from zero to production', 'Schemas, hooks, plugins and graceful shutdown.', ['fastify', 'node']],
  ['Express middleware in depth', 'Ordering, error handling and async pitfalls.', ['express', 'node']],
  ['Rate limiting and load shedding', 'Sliding windows, token buckets and adaptive limits.', ['reliability']],
  ['Anomaly detection for ops', 'Streaming baselines, seasonality and alert fatigue.', ['metrics', 'statistics']],
  ['TypeScript for library authors', 'Strict types, dual ESM/CJS packages and declaration files.', ['typescript']],
  ['Event loop internals', 'Timers, microtasks, libuv and what blocks them.', ['node', 'performance']],
] as const;

const CITIES = ['Berlin', 'Lisbon', 'Toronto', 'Online', 'Nairobi', 'Osaka'];

/** Deterministic demo workshops: 60 sessions over the next 120 days, so every deployment shows the same data. */
export function demoWorkshops(now = Date.now(), count = 60): WorkshopInput[] {
  const day = 86_400_000;
  const start = Math.floor(now / day) * day;
  const items: WorkshopInput[] = [];
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const city = CITIES[i % CITIES.length]!;
    const capacity = 20 + ((i * 7) % 5) * 10;
    items.push({
      title: `${topic[0]} (${city}, #${Math.floor(i / TOPICS.length) + 1})`,
      description: topic[1],
      startsAt: new Date(start + (i * 2 + 1) * day + 9 * 3_600_000).toISOString(),
      capacity,
      // A few sessions are far more popular than the rest (the hot set the demo and warming use).
      registrations: i % 11 === 0 ? capacity : (i * 13) % capacity,
      tags: [...topic[2], city.toLowerCase()],
    });
  }
  return items;
}

/** Seeds demo data when the table is empty (first start); returns how many rows it wrote. */
export async function seedIfEmpty(repository: WorkshopRepository): Promise<number> {
  if ((await repository.count()) > 0) return 0;
  const items = demoWorkshops();
  for (const item of items) await repository.create(item);
  return items.length;
}
