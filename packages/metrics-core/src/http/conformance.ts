import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../clock.js';
import { createFakeClock, type FakeClock } from '../fake-clock.js';
import type { RateLimitStore } from '../contracts/rate-limit.js';
import type { HttpPipelineOptions, PipelineRateLimit } from './http-pipeline.js';
import { createMemoryRateLimitStore } from './memory-rate-limit-store.js';

/** What the route behind the adapter answers when it runs (the origin of each case). */
export interface OriginResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface OriginRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
}

export type OriginHandler = (request: OriginRequest) => OriginResponse;

/** Cache options a target passes to its adapter (plugin `cache` options / `intelligentCache` options). */
export type ConformanceCacheOptions = Pick<HttpPipelineOptions, 'ttl' | 'staleWhileRevalidate' | 'overrideOrigin' | 'keyIncludesHost'>;

export interface ConformanceServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  close(): Promise<void>;
}

/**
 * Rate limiting in a case. Requests come from 127.0.0.1, so they share one client key.
 */
export interface ConformanceRateLimit {
  /** The adapter-wide limit: Express `app.use(adaptiveRateLimit(...))`, the Fastify plugin's `rateLimit`. */
  max: number;
  windowMs?: number;
  scope?: string;
  /**
   * Paths with a limit of their own instead of the adapter-wide one (Express: `app.all(path, adaptiveRateLimit(limit), …)`
   * ahead of the app-wide limiter; Fastify: the route's `config.rateLimit`), or `false` for an exempt route. A
   * route's limit names its `scope`, so both adapters count it in the same space.
   */
  routes?: Record<string, false | (PipelineRateLimit & { max: number; scope: string })>;
}

/**
 * How a test starts one adapter: every method and path goes through the adapter's response cache (with
 * `options`, a store and timing on `clock`) to a route that answers with `handler(request)`; with `rateLimit`,
 * rate limited first, every limiter counting in `rateLimit.store`.
 */
export type ConformanceTarget = (setup: {
  clock: Clock;
  handler: OriginHandler;
  options: ConformanceCacheOptions;
  rateLimit?: ConformanceRateLimit & { store: RateLimitStore };
}) => Promise<ConformanceServer>;

export interface ConformanceStep {
  /** Move the clock first (ms). */
  advance?: number;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** The route's answer if it runs. @default { status: 200, body: 'ok' } */
  origin?: OriginResponse;
  expect: {
    status: number;
    /** Whether the route ran (false: answered by the cache); unchecked when absent (a background refresh may race). */
    ran?: boolean;
    body?: string;
    /** Expected header values; `null` means absent; a RegExp must match. */
    headers?: Record<string, string | RegExp | null>;
  };
}

export interface ConformanceCase {
  name: string;
  /** Cache options; `ttl` is 60 unless `withoutTtl`. */
  options?: ConformanceCacheOptions;
  withoutTtl?: boolean;
  /** Rate limit the adapter (the limiters share one store on the case's clock). */
  rateLimit?: ConformanceRateLimit;
  steps: ConformanceStep[];
}

const RUN_HEADER = 'x-origin-run';

/** One request over node:http (fetch would add `cache-control: no-cache` to conditionals and forbids `Host`). */
function send(base: string, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(base + path, { method, headers, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString() }));
      incoming.on('error', reject);
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error(`${method} ${path} timed out`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * Runs one case against a target: a fresh server per case, the clock faked (time only), real HTTP. Returns the
 * mismatches, empty when the adapter behaved as the case says.
 */
export async function runConformanceCase(target: ConformanceTarget, testCase: ConformanceCase): Promise<string[]> {
  const clock: FakeClock = createFakeClock(Date.UTC(2026, 11, 7, 12, 0, 0));
  let current: OriginResponse = {};
  let runs = 0;
  const handler: OriginHandler = (request) => {
    runs++;
    const headers = { ...current.headers, [RUN_HEADER]: String(runs) };
    // An origin that supports validation: a matching If-None-Match gets 304 without a body.
    const etag = current.headers?.etag;
    if (etag !== undefined && request.headers['if-none-match'] === etag) return { status: 304, headers, body: '' };
    return { status: current.status ?? 200, headers, body: current.body ?? 'ok' };
  };
  const rateLimitStore = testCase.rateLimit ? createMemoryRateLimitStore({ clock }) : undefined;
  const options = testCase.withoutTtl ? { ...testCase.options } : { ttl: 60, ...testCase.options };
  const server = await target({ clock, handler, options, ...(testCase.rateLimit && rateLimitStore ? { rateLimit: { ...testCase.rateLimit, store: rateLimitStore } } : {}) });
  const problems: string[] = [];
  try {
    for (const [index, step] of testCase.steps.entries()) {
      if (step.advance) clock.advance(step.advance);
      current = step.origin ?? {};
      const before = runs;
      const response = await send(server.url, step.method ?? 'GET', step.path, step.headers ?? {});
      const body = response.body;
      const where = `step ${index + 1} (${step.method ?? 'GET'} ${step.path})`;
      if (response.status !== step.expect.status) problems.push(`${where}: status ${response.status}, expected ${step.expect.status}`);
      if (step.expect.ran !== undefined && runs > before !== step.expect.ran) problems.push(`${where}: the route ${runs > before ? 'ran' : 'did not run'}, expected ${step.expect.ran ? 'a run' : 'a cached answer'}`);
      if (step.expect.body !== undefined && body !== step.expect.body) problems.push(`${where}: body ${JSON.stringify(body)}, expected ${JSON.stringify(step.expect.body)}`);
      for (const [name, wanted] of Object.entries(step.expect.headers ?? {})) {
        const raw = response.headers[name.toLowerCase()];
        const actual = raw === undefined ? null : Array.isArray(raw) ? raw.join(', ') : raw;
        const ok = wanted === null ? actual === null : wanted instanceof RegExp ? actual !== null && wanted.test(actual) : actual === wanted;
        if (!ok) problems.push(`${where}: header ${name} = ${String(actual)}, expected ${String(wanted)}`);
      }
    }
  } finally {
    await server.close();
    await rateLimitStore?.close();
  }
  return problems;
}

export { HTTP_CONFORMANCE_CASES } from './conformance-cases.js';

/**
 * Rate limiting shared across instances: starts two instances of an adapter (each limiting every key to 3
 * requests a minute through the same `RateLimitStore` the caller gave `start`), sends 5 requests alternating
 * between them, and returns their statuses (`[200, 200, 200, 429, 429]` when the limit is shared).
 */
export async function sharedLimitStatuses(start: (instance: number) => Promise<ConformanceServer>): Promise<number[]> {
  const servers = [await start(0), await start(1)];
  try {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) statuses.push((await send((servers[index % 2] as ConformanceServer).url, 'GET', '/x', {})).status);
    return statuses;
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}
