// apicache 1.6 ships no types; the part the benchmark server uses.
declare module 'apicache' {
  import type { RequestHandler } from 'express';
  interface ApiCache {
    middleware(duration?: string | number): RequestHandler;
  }
  const apicache: ApiCache & { newInstance(options?: Record<string, unknown>): ApiCache };
  export default apicache;
}
