// Explicit named exports only.
export { BEARER_PROTOCOL_PREFIX, LIVE_PROTOCOL, createTokenCheck, type RouteAccess } from './auth.js';
export { buildDashboard, buildLiveFrame, type DashboardBody, type EndpointRow, type LiveSnapshotFrame } from './dashboard-body.js';
export { buildFleetFrame, type FleetEndpointRow, type LiveFleetFrame, type LiveFleetUnavailableFrame } from './fleet-body.js';
export { attachLiveUpdates, createDashboardRouter, type DashboardMiddleware, type LiveUpdates } from './express-router.js';
export { dashboardApi, type DashboardApiPluginOptions, type DashboardDecorator } from './fastify-plugin.js';
export {
  PROMETHEUS_CONTENT_TYPE,
  createDashboardHandlers,
  type DashboardHandlers,
  type DashboardRequest,
  type DashboardResponse,
  type DashboardRoute,
} from './handlers.js';
export { createLiveHub, type BroadcastResult, type LiveHub, type LiveHubStats, type LiveSocket } from './live-hub.js';
export { createSnapshotSource, type Readings } from './snapshot-source.js';
export { resolveOptions, type DashboardApiOptions, type ResolvedOptions } from './options.js';
export {
  emptyBodySchema,
  emptyQuerySchema,
  historyQuerySchema,
  invalidateBodySchema,
  profileParamsSchema,
  profileQuerySchema,
  scopeQuerySchema,
  warmQuerySchema,
} from './schemas.js';
