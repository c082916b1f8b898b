import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { sendEventsToEventBridge } from './bucket-events';
import { targetGroupProps, type TargetProtocolVersion } from './target-protocol';

export { GATEWAY_PROXY_PORT, GATEWAY_STATUS_PORT } from './target-protocol';

/** Properties of a {@link PublicLoadBalancer}. */
export interface PublicLoadBalancerProps {
  /** The VPC; the load balancer goes into its public subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * ACM certificate (same region) for HTTPS on 443; HTTP on 80 then only redirects to HTTPS.
   *
   * @default - no certificate: the production listener is plain HTTP on port 80
   */
  readonly certificateArn?: string;
  /**
   * Port of the CodeDeploy test listener (plain HTTP, or HTTPS for HTTP2/GRPC targets), reachable only from `testTrafficSources`.
   *
   * @default 9000
   */
  readonly testListenerPort?: number;
  /**
   * Who may reach the test listener, e.g. the NAT gateways' addresses that the smoke-test hook's
   * traffic leaves through.
   *
   * @default - nobody outside the load balancer's own security group
   */
  readonly testTrafficSources?: readonly ec2.IPeer[];
  /**
   * How long a deregistering target keeps its in-flight requests: match it to the gateway's drain
   * timeout (GATEHOUSE_DRAIN_TIMEOUT_MS) so no request is cut.
   *
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * Bucket for access logs; must use SSE-S3 encryption (ALB cannot write to SSE-KMS buckets).
   *
   * @default - a new bucket, SSE-S3, TLS only, 90-day expiry
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * Refuse to delete the load balancer (until the attribute is turned off again).
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the access log bucket this construct creates when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * What the load balancer speaks to the tasks, for both target groups of the blue/green pair, with
   * the matching health check (`target-protocol.ts`). `HTTP2` and `GRPC` need `certificateArn`: the
   * ALB forwards to such target groups only from HTTPS listeners, so the test listener is HTTPS too.
   *
   * @default 'HTTP1'
   */
  readonly protocolVersion?: TargetProtocolVersion;
}

/**
 * The internet-facing ALB of a region: production listener (HTTPS with an HTTP redirect when a
 * certificate is given, else HTTP), a test listener for blue/green, and the blue and green target
 * groups (proxy port, health checked on the status port's `/readyz`). Invalid header fields are
 * dropped; access logs go to S3.
 */
export class PublicLoadBalancer extends Construct {
  /** The load balancer. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Its security group. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The listener that carries production traffic. */
  readonly prodListener: elbv2.ApplicationListener;
  /** The listener CodeDeploy routes test traffic through during a deployment. */
  readonly testListener: elbv2.ApplicationListener;
  /** Target group of the original (blue) task set. */
  readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  /** Target group of the replacement (green) task set. */
  readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  /** `https` when a certificate is given, else `http`. */
  readonly protocol: 'http' | 'https';
  /** The production listener's port. */
  readonly prodPort: number;
  /** The test listener's port. */
  readonly testListenerPort: number;
  /** `https` when the target groups speak HTTP/2 or gRPC (which the ALB forwards only from HTTPS), else `http`. */
  readonly testListenerProtocol: 'http' | 'https';
  /** What both target groups speak to the tasks. */
  readonly protocolVersion: TargetProtocolVersion;
  /** Where access logs go (SSE-S3); other internal load balancers may log here too. */
  readonly accessLogsBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);
    const testPort = props.testListenerPort ?? 9000;
    if ([80, 443].includes(testPort))
      throw new Error(`PublicLoadBalancer: testListenerPort ${testPort} collides with a production port; use another port, e.g. 9000.`);
    if (props.accessLogsBucket && props.removalPolicy !== undefined)
      throw new Error('PublicLoadBalancer: removalPolicy applies only to the access log bucket this construct creates; do not give it together with accessLogsBucket.');
    const version = (this.protocolVersion = props.protocolVersion ?? 'HTTP1');
    const pairProps = targetGroupProps(version);
    if (version !== 'HTTP1' && !props.certificateArn)
      throw new Error(
        `PublicLoadBalancer: protocolVersion ${version} needs certificateArn (an ALB forwards to HTTP/2 and gRPC target groups only from HTTPS listeners); give a certificate or use HTTP1.`,
      );
    this.testListenerProtocol = version === 'HTTP1' ? 'http' : 'https';
    this.protocol = props.certificateArn ? 'https' : 'http';
    this.prodPort = props.certificateArn ? 443 : 80;
    this.testListenerPort = testPort;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Gatehouse public load balancer',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere');
    if (props.certificateArn) this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere');
    for (const peer of props.testTrafficSources ?? [])
      this.securityGroup.addIngressRule(peer, ec2.Port.tcp(testPort), 'Blue/green test traffic');
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'A public API gateway accepts HTTP(S) from anywhere on its production ports; the test port is limited to the NAT addresses.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      securityGroup: this.securityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      http2Enabled: true,
      idleTimeout: Duration.seconds(60),
      deletionProtection: props.deletionProtection ?? false,
    });
    const logs =
      props.accessLogsBucket ??
      new s3.Bucket(this, 'AccessLogs', {
        // ALB access logs can only be written with SSE-S3 (ELB user guide, "Access logs": bucket requirements).
        encryption: s3.BucketEncryption.S3_MANAGED,
        versioned: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(1) }],
        removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
        autoDeleteObjects: false,
      });
    if (!props.accessLogsBucket)
      Validations.of(logs).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'This bucket is itself the access log destination of the load balancer; logging it again would recurse.',
      });
    if (!props.accessLogsBucket) sendEventsToEventBridge(logs as s3.Bucket);
    this.loadBalancer.logAccessLogs(logs, 'alb');
    this.accessLogsBucket = logs;

    const targetGroup = (name: string) =>
      new elbv2.ApplicationTargetGroup(this, name, { vpc: props.vpc, ...pairProps, deregistrationDelay: props.deregistrationDelay ?? Duration.seconds(30) });
    this.blueTargetGroup = targetGroup('BlueTargetGroup');
    this.greenTargetGroup = targetGroup('GreenTargetGroup');

    if (props.certificateArn) {
      this.prodListener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [this.blueTargetGroup],
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
    } else {
      this.prodListener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups: [this.blueTargetGroup],
      });
    }
    this.testListener = this.loadBalancer.addListener('Test', {
      port: testPort,
      ...(this.testListenerProtocol === 'https'
        ? { protocol: elbv2.ApplicationProtocol.HTTPS, certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn!)], sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }
        : { protocol: elbv2.ApplicationProtocol.HTTP }),
      open: false,
      // CodeDeploy needs both target groups attached to the load balancer; between deployments the
      // test listener points at the (empty) replacement group.
      defaultTargetGroups: [this.greenTargetGroup],
    });
  }
}
