/** The deployment config: schema, profile defaults and the loader that validates and resolves it. */
export { DeploymentConfigSchema, type DeploymentConfigInput, type ProfileName, type TrafficShiftingName } from './schema';
export { PROFILE_DEFAULTS, FARGATE_MEMORY_MIB, type ProfileDefaults } from './profiles';
export { loadDeploymentConfig, deployedRegions, DeploymentConfigError, CONTEXT_KEY, type DeploymentConfig } from './load';
