/** The deployment config: schema, profile defaults and the loader that validates and resolves it. */
export { DeploymentConfigSchema, AlarmThresholdsSchema, type DeploymentConfigInput, type ProfileName, type TrafficShiftingName } from './schema';
export { PROFILE_DEFAULTS, FARGATE_MEMORY_MIB, type ProfileDefaults } from './profiles';
export { loadDeploymentConfig, deployedRegions, DeploymentConfigError, CONTEXT_KEY, DEFAULT_ALARM_THRESHOLDS, type DeploymentConfig, type AlarmThresholds } from './load';
