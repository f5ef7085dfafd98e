// `@wai/metrics-core/config`: the environment presets and the loader of the guide's environment variables.
export {
  configureForEnvironment,
  loadConfigFromEnv,
  redisUrlOf,
  type Environment,
  type LogLevel,
  type WaiConfig,
  type WaiConfigOverrides,
} from './environment-config.js';
