/** The kit's constructs, one architectural task each; stacks compose them. */
export { NetworkFoundation, type NetworkFoundationProps } from './network-foundation';
export { PublicLoadBalancer, type PublicLoadBalancerProps, GATEWAY_PROXY_PORT, GATEWAY_STATUS_PORT, EDGE_HEALTH_PATH } from './public-load-balancer';
export { GatewayService, type GatewayServiceProps, GATEWAY_CONTAINER_NAME } from './gateway-service';
export { GATEWAY_DATA_DIR, GATEWAY_ADMIN_PORT } from './gateway-container';
export { BlueGreenDeployment, type BlueGreenDeploymentProps, type TrafficShifting } from './blue-green-deployment';
export { ServiceRollout, type ServiceRolloutProps, MAX_ROLLOUT_TIMEOUT_MINUTES } from './service-rollout';
export { ServiceShapeGuard, type ServiceShapeGuardProps } from './service-shape-guard';
export { RateLimitCache, type RateLimitCacheProps, REDIS_PORT } from './rate-limit-cache';
export { ConfigDatabase, type ConfigDatabaseProps, POSTGRES_PORT, CONFIG_DATABASE_NAME } from './config-database';
export { ConfigReadReplica, type ConfigReadReplicaProps } from './config-read-replica';
export { ControlPlaneService, type ControlPlaneServiceProps } from './control-plane-service';
export { AdminToken, type AdminTokenProps } from './admin-token';
export { BackupBucket, type BackupBucketProps, type BackupReplicaDestination } from './backup-bucket';
export { ReleasedImage, type ReleasedImageProps, type InitialImage } from './released-image';
export { SmokeTestHook, type SmokeTestHookProps, SMOKE_TEST_CODE_DIR } from './smoke-test-hook';
export { GlobalRouting, type GlobalRoutingProps } from './global-routing';
export { RegionDashboard, type RegionDashboardProps } from './region-dashboard';
export { ReplicatedSecret, type ReplicatedSecretProps } from './replicated-secret';
