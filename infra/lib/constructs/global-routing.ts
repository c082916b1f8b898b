import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

/** Properties of a {@link GlobalRouting}. */
export interface GlobalRoutingProps {
  /** The region's public load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Hosted zone id. */
  readonly hostedZoneId: string;
  /** Hosted zone name, e.g. `example.com`. */
  readonly zoneName: string;
  /**
   * The record clients resolve, e.g. `api.example.com`.
   *
   * @default - the zone apex
   */
  readonly recordName?: string;
  /** `https` when the load balancer has a certificate, else `http`. */
  readonly protocol: 'http' | 'https';
  /** Path the load balancer answers with 200 for the health check. */
  readonly healthCheckPath: string;
}

/**
 * This region's share of global steering: a Route 53 latency alias record to the region's load
 * balancer, evaluated on target health and tied to a Route 53 health check of the load balancer.
 * Every region creates its own record (set identifier = region) in its own stack, so no region
 * references another; when a region fails its checks, Route 53 answers with the others.
 */
export class GlobalRouting extends Construct {
  /** The health check. */
  readonly healthCheck: route53.HealthCheck;
  /** The latency record. */
  readonly record: route53.ARecord;

  constructor(scope: Construct, id: string, props: GlobalRoutingProps) {
    super(scope, id);
    if (!props.healthCheckPath.startsWith('/')) throw new Error(`GlobalRouting: healthCheckPath must start with "/", got "${props.healthCheckPath}".`);
    const recordName = props.recordName ?? props.zoneName;
    if (recordName !== props.zoneName && !recordName.endsWith(`.${props.zoneName}`))
      throw new Error(`GlobalRouting: recordName "${recordName}" is not inside the zone "${props.zoneName}".`);
    const region = Stack.of(this).region;

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZoneId, zoneName: props.zoneName });
    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: props.protocol === 'https' ? route53.HealthCheckType.HTTPS : route53.HealthCheckType.HTTP,
      fqdn: props.loadBalancer.loadBalancerDnsName,
      port: props.protocol === 'https' ? 443 : 80,
      resourcePath: props.healthCheckPath,
      requestInterval: Duration.seconds(10),
      failureThreshold: 3,
      measureLatency: true,
    });
    this.record = new route53.ARecord(this, 'LatencyRecord', {
      zone,
      recordName,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(props.loadBalancer, { evaluateTargetHealth: true })),
      region,
      setIdentifier: region,
      healthCheck: this.healthCheck,
    });
    new CfnOutput(this, 'RecordName', { value: recordName, description: 'Latency-routed name of the gateway' });
  }
}
