/** The release command: blue/green releases of the gateway image, region by region, through CodeDeploy. */
export { runCli, selectRegions, type CliDeps } from './cli';
export { runRelease, type ReleaseRequest } from './release';
export { runStatus } from './status';
export { runRollback, type RollbackRequest } from './rollback';
export { buildAppSpec, appSpecContent, SMOKE_TEST_HOOK, type AppSpecInput } from './appspec';
export { STRATEGIES, DEFAULT_STRATEGY, type Strategy, type DeploymentSnapshot, type DeploymentResult } from './deploy';
export { planWaves, DEFAULT_WAVES } from './waves';
export { findTarget, OUTPUT_KEYS, type ReleaseTarget } from './targets';
export { loadReleaseConfig, type ReleaseConfig } from './deployment-config';
export { awsClientFactory, type ClientFactory, type RegionClients } from './clients';
export { ExitCode, ReleaseError } from './errors';
export { exitCodeOf, formatSummary, type RegionOutcome } from './summary';
