// Explicit named exports only.
export type {
  FleetAlert,
  FleetEndpointStats,
  FleetInstanceIdentity,
  FleetInstanceSummary,
  FleetRedisClient,
  FleetSource,
  FleetView,
  SeriesWindow,
  SketchBuckets,
  WindowExport,
} from '../contracts/fleet.js';
export { createFleetPublisher, type FleetPublisher, type FleetPublisherOptions, type FleetPublisherStats } from './fleet-publisher.js';
export { createFleetReader, type FleetReader, type FleetReaderOptions } from './fleet-reader.js';
export { fleetKeys, type FleetKeys } from './fleet-keys.js';
export { decodeBuckets, encodeBuckets } from './sketch-codec.js';
