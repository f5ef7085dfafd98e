// `@wai/metrics-core/otel`: @wai's metrics through your OpenTelemetry MeterProvider (`@opentelemetry/api` is an optional peer).
export { createOtelBridge, HTTP_SERVER_DURATION_BUCKETS, type OtelBridge, type OtelBridgeOptions, type OtelMeterProvider } from './otel-bridge.js';
