/**
 * The protocol version the public load balancer speaks to the data plane's tasks, and the health
 * check that goes with it. One version per service: CodeDeploy swaps one blue/green target-group
 * pair, so both groups of the pair are built here from the same version (docs/DEPLOY.md, "Protocols").
 */
import { Duration } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { HEALTH_CHECK_PATH } from '../../../gateway/src/data-plane/grpc/health';

/** The proxy port (DESIGN.md contract). */
export const GATEWAY_PROXY_PORT = 8080;
/** The status port: `/healthz`, `/readyz`, `/metrics`. */
export const GATEWAY_STATUS_PORT = 9190;

/**
 * `HTTP1`: HTTP/1.1 to the tasks (clients may speak HTTP/1.1 or HTTP/2 to the ALB; no gRPC).
 * `HTTP2`: HTTP/2 to the tasks (h2c on the proxy port; HTTP/1.1 clients are refused by the ALB).
 * `GRPC`: gRPC to the tasks (only gRPC clients).
 */
export type TargetProtocolVersion = 'HTTP1' | 'HTTP2' | 'GRPC';
export const TARGET_PROTOCOL_VERSIONS: readonly TargetProtocolVersion[] = ['HTTP1', 'HTTP2', 'GRPC'];

const HEALTH_CHECK_TIMING = {
  interval: Duration.seconds(10),
  timeout: Duration.seconds(5),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
} as const;

/**
 * The health check of a target group of `version`. gRPC: the gateway's own
 * `grpc.health.v1.Health/Check` answer on the proxy port (the traffic port, where the ALB speaks
 * gRPC), healthy on status 0 only (the ALB's default gRPC matcher is 12, UNIMPLEMENTED). Otherwise
 * the status port's `/readyz`, healthy on 200.
 */
export function targetHealthCheck(version: TargetProtocolVersion): elbv2.HealthCheck {
  if (version === 'GRPC') return { path: HEALTH_CHECK_PATH, port: 'traffic-port', healthyGrpcCodes: '0', ...HEALTH_CHECK_TIMING };
  return { path: '/readyz', port: String(GATEWAY_STATUS_PORT), healthyHttpCodes: '200', ...HEALTH_CHECK_TIMING };
}

/** The props of each target group of the blue/green pair: one function, so the pair cannot differ. */
export function targetGroupProps(version: TargetProtocolVersion): Pick<elbv2.ApplicationTargetGroupProps, 'targetType' | 'protocol' | 'protocolVersion' | 'port' | 'healthCheck'> {
  if (!TARGET_PROTOCOL_VERSIONS.includes(version))
    throw new Error(`PublicLoadBalancer: protocolVersion must be one of ${TARGET_PROTOCOL_VERSIONS.join(', ')}, got "${version}".`);
  return {
    targetType: elbv2.TargetType.IP,
    // Cleartext inside the VPC: HTTP2 and GRPC then reach the proxy port as h2c with prior knowledge.
    protocol: elbv2.ApplicationProtocol.HTTP,
    // HTTP1 is the ALB's default and left out, so existing target groups are not replaced (ProtocolVersion
    // is a replacement property).
    ...(version === 'HTTP1' ? {} : { protocolVersion: elbv2.ApplicationProtocolVersion[version] }),
    port: GATEWAY_PROXY_PORT,
    healthCheck: targetHealthCheck(version),
  };
}
