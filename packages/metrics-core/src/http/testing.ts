// `@wai/metrics-core/http/testing`: the response-cache conformance table every HTTP adapter runs.
export {
  HTTP_CONFORMANCE_CASES,
  runConformanceCase,
  type ConformanceCacheOptions,
  type ConformanceCase,
  type ConformanceServer,
  type ConformanceStep,
  type ConformanceTarget,
  type OriginHandler,
  type OriginRequest,
  type OriginResponse,
} from './conformance.js';
